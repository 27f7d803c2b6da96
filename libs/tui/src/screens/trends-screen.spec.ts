import { describe, expect, it } from '@jest/globals';
import { summariseTrend, type TrendSeries, type TrendSummary } from '@beacon/domain';
import { scheduleOf } from './jobs-screen.js';
import { loadTrend } from './trends-screen.js';

const series = (source: TrendSeries['source'], runs = 2): TrendSeries => ({
  source,
  runs: Array.from({ length: runs }, (_, index) => ({
    index,
    jobId: `j-${index + 1}`,
    scheduleId: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    status: 'completed',
  })),
  points: Array.from({ length: runs }, (_, runIndex) => ({
    questionId: 'q',
    model: 'm',
    region: 'r',
    runIndex,
    jobId: `j-${runIndex + 1}`,
    category: null,
    replicates: 1,
    responses: 1,
    counts: { answered: 1, partial: 0, refused: 0, empty: 0, filtered: 0 },
    label: 'answered',
    sample: `answer ${runIndex}`,
    similarityToPrevious: null,
  })),
});

/** A fake API: schedules it knows answer, others are 404 (or 400 for `mixed`, whose runs are not of one spec). */
function fakeApi(schedules: string[]) {
  const asked: unknown[] = [];
  return {
    asked,
    getTrendCells(q: { schedule?: string; jobs?: string[] }): Promise<TrendSummary> {
      asked.push(q);
      if (q.schedule === 'mixed') return Promise.reject(Object.assign(new Error('axes differ'), { status: 400 }));
      if (q.schedule !== undefined)
        return schedules.includes(q.schedule)
          ? Promise.resolve(summariseTrend(series({ kind: 'schedule', scheduleId: q.schedule })))
          : Promise.reject(Object.assign(new Error('no runs'), { status: 404 }));
      return Promise.resolve(summariseTrend(series({ kind: 'jobs', jobIds: q.jobs! }, q.jobs!.length)));
    },
  };
}

describe(loadTrend.name, () => {
  it("asks for one id as a schedule, then as a job; a job's schedule that is not a series gives way to the job", async () => {
    let api = fakeApi(['nightly']);
    expect((await loadTrend(api, { ids: ['nightly'] })).source).toEqual({ kind: 'schedule', scheduleId: 'nightly' });
    api = fakeApi([]);
    expect((await loadTrend(api, { ids: ['job-7'] })).source).toEqual({ kind: 'jobs', jobIds: ['job-7'] });
    api = fakeApi([]);
    expect((await loadTrend(api, { ids: ['mixed'], orJobs: ['mixed-3'] })).source).toEqual({ kind: 'jobs', jobIds: ['mixed-3'] });
    await expect(loadTrend(fakeApi([]), { ids: ['mixed'] })).rejects.toThrow('axes differ');
    api = fakeApi(['a']);
    await loadTrend(api, { ids: ['a', 'b'] });
    expect(api.asked).toEqual([{ jobs: ['a', 'b'] }]);
  });

  it('keeps only the newest run’s answer for the screen', async () => {
    const s = await loadTrend(fakeApi(['nightly']), { ids: ['nightly'] });
    expect(s.cells.map((c) => c.newestSample)).toEqual(['answer 1']);
    expect(s.cells[0]).not.toHaveProperty('points');
  });
});

describe(scheduleOf.name, () => {
  it('reads `<schedule>-<run>`', () => {
    expect(scheduleOf('nightly-12')).toBe('nightly');
    expect(scheduleOf('bias-detection-1759245498941')).toBe('bias-detection');
    expect(scheduleOf('adhoc')).toBeNull();
    expect(scheduleOf('-3')).toBeNull();
  });
});
