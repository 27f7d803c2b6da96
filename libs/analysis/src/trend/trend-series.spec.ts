import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { textSimilarity } from '../text-similarity.js';
import { assembleTrendSeries, assembleTrendSeriesAsync, type TrendPointRecord, type TrendRunRecord } from './trend-series.js';

const TEXTS = ['Four.', '4', "I can't help with that.", '抱歉，我无法回答', 'The answer is 4.', '', '🙂 astral 𝔸'];

const historyArb = fc.record({ runs: fc.integer({ min: 1, max: 8 }), cells: fc.integer({ min: 1, max: 4 }) }).chain(({ runs, cells }) =>
  fc.record({
    created: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: runs, maxLength: runs }),
    samples: fc.array(fc.array(fc.option(fc.constantFrom(...TEXTS), { nil: null, freq: 4 }), { minLength: runs, maxLength: runs }), {
      minLength: cells,
      maxLength: cells,
    }),
    drop: fc.array(fc.boolean(), { minLength: runs * cells, maxLength: runs * cells }),
  }),
);

function records(h: { created: number[]; samples: (string | null)[][]; drop: boolean[] }) {
  const runs: TrendRunRecord[] = h.created.map((s, i) => ({
    jobId: `job-${String.fromCharCode(107 - i)}`,
    scheduleId: null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(),
    status: 'completed',
  }));
  const points: TrendPointRecord[] = [];
  h.samples.forEach((perRun, c) =>
    perRun.forEach((sample, r) => {
      if (h.drop[c * perRun.length + r]) return;
      points.push({
        questionId: `q${c}`,
        model: 'm',
        region: 'r',
        jobId: runs[r]!.jobId,
        category: null,
        replicates: 1,
        responses: sample === null ? 0 : 1,
        counts: { answered: sample === null ? 0 : 1, partial: 0, refused: 0, empty: 0, filtered: 0 },
        label: sample === null ? null : 'answered',
        sample,
      });
    }),
  );
  return { runs, points };
}

describe(assembleTrendSeries.name, () => {
  it('orders runs by time then job id, and sets each similarity to textSimilarity with the previous run of the cell', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async (h) => {
        const { runs, points } = records(h);
        const s = assembleTrendSeries({ kind: 'jobs', jobIds: runs.map((r) => r.jobId) }, [...runs].reverse(), [...points].reverse());
        const order = [...runs].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.jobId < b.jobId ? -1 : 1)).map((r) => r.jobId);
        expect(s.runs.map((r) => r.jobId)).toEqual(order);
        expect(s.runs.map((r) => r.index)).toEqual(order.map((_, i) => i));
        const at = new Map(s.points.map((p) => [`${p.questionId}#${p.runIndex}`, p]));
        for (const p of s.points) {
          const prev = at.get(`${p.questionId}#${p.runIndex - 1}`);
          const want = prev && prev.sample !== null && p.sample !== null ? textSimilarity(prev.sample, p.sample) : null;
          expect(p.similarityToPrevious).toBe(want);
          expect(p.runIndex).toBe(order.indexOf(p.jobId));
        }
        const keys = s.points.map((p) => [p.questionId, p.runIndex] as const);
        expect(keys).toEqual([...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1])));
        expect(await assembleTrendSeriesAsync(s.source, runs, points, 0)).toEqual(s);
      }),
    );
  });
});
