import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { assembleTrendSeries } from '@beacon/analysis';
import { RetentionRepository, ScheduleRepository, SeriesResolver, TrendRepository, TrendSeriesError } from '@beacon/db';
import { RetentionPruneRuns } from '../../apps/runner/src/schedules/prune-runs.port.js';
import type { TrendSeries } from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { expectedSeries, historyArb, readSeriesRows, writeHistory, type GenHistory } from '../utils/trend-history.js';

/**
 * Trend summaries and series (issue 16, items 2 and 5) against real rows: generated histories (labels per replicate,
 * failures, replicate counts, running runs, equal creation times) are written as jobs and executions, and the series
 * Beacon reads is compared with one computed here from a plain SELECT of the rows.
 */
describe('trends: summaries, series and pruning', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let n = 0;
  const prefix = () => `h${++n}`;

  beforeAll(async () => {
    db = await migratedDatabase('trends');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  async function seriesOf(ids: string[], question: string | null = null): Promise<TrendSeries> {
    const { runs, points } = await new TrendRepository(ds).series(ids, question);
    return assembleTrendSeries({ kind: 'jobs', jobIds: ids }, runs, points);
  }

  const RUNS = Number(process.env.BEACON_TREND_RUNS ?? 40);

  it('series() equals the series computed from the rows, before and after its summaries are written', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb(), fc.boolean(), async (h: GenHistory, filter) => {
        const ids = await writeHistory(ds, prefix(), h);
        const question = filter ? h.questions[h.questions.length - 1]!.id : null;
        const expected = expectedSeries(await readSeriesRows(ds, ids), question);
        const first = await seriesOf(ids, question);
        expect({ runs: first.runs, points: first.points }).toEqual(expected);
        // The second read comes from the summaries the first wrote (finished jobs) and live rows (running ones).
        const recorded: { job_id: string }[] = await ds.query(`SELECT job_id FROM trend_runs WHERE job_id = ANY($1) ORDER BY job_id`, [
          ids,
        ]);
        const finished = h.runs
          .map((r, i) => (['running', 'queued'].includes(r.status) ? null : ids[i]!))
          .filter((x) => x !== null)
          .sort();
        expect(recorded.map((r) => r.job_id)).toEqual(finished);
        const second = await seriesOf(ids, question);
        expect(second).toEqual(first);
      }),
      { numRuns: RUNS },
    );
  });

  it('recordJobs is idempotent and writes one point per (question, model, region) of finished jobs only', async () => {
    const h = fc.sample(historyArb(4), { seed: 7, numRuns: 1 })[0]!;
    h.runs[0]!.status = 'running';
    h.runs[1 % h.runs.length]!.status = 'completed';
    const ids = await writeHistory(ds, prefix(), h);
    const repo = new TrendRepository(ds);
    const once = await repo.recordJobs(ids);
    const twice = await repo.recordJobs(ids);
    expect(twice).toEqual(once);
    const [c] = await ds.query(
      `SELECT (SELECT count(*) FROM trend_runs WHERE job_id = ANY($1))::int AS runs,
              (SELECT count(*) FROM trend_points WHERE job_id = ANY($1))::int AS points,
              (SELECT count(DISTINCT (job_id, question_id, model_id, region)) FROM executions e JOIN jobs j ON j.id = e.job_id
                WHERE e.job_id = ANY($1) AND j.status NOT IN ('queued','running'))::int AS cells`,
      [ids],
    );
    expect(c).toEqual({ runs: once.runs, points: once.points, cells: once.points });
    expect(once.runs).toBe(h.runs.filter((r) => !['running', 'queued'].includes(r.status)).length);
  });

  it('a relabelled finished job is summarised again: the series follows the label every view shows', async () => {
    const h = fc.sample(historyArb(3), { seed: 11, numRuns: 1 })[0]!;
    for (const r of h.runs) r.status = 'completed';
    const ids = await writeHistory(ds, prefix(), h);
    await seriesOf(ids);
    const [target] = await ds.query(`SELECT id FROM executions WHERE job_id = $1 ORDER BY id LIMIT 1`, [ids[0]]);
    await ds.query(
      `UPDATE executions SET state = 'succeeded', result_attempt = 1, finished_at = now(), classification = 'filtered', response = 'relabelled' WHERE id = $1`,
      [target.id],
    );
    const after = await seriesOf(ids);
    expect({ runs: after.runs, points: after.points }).toEqual(expectedSeries(await readSeriesRows(ds, ids)));
  });

  it('pruning keeps the series point for point, deletes the job rows, and never deletes an active job', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb(5), async (h) => {
        const ids = await writeHistory(ds, prefix(), h);
        const before = await seriesOf(ids);
        const out = await new RetentionRepository(ds).pruneJobs(ids);
        const active = ids.filter((_, i) => ['running', 'queued'].includes(h.runs[i]!.status));
        expect(out.skipped).toEqual(active.map((jobId) => ({ jobId, reason: 'active' })));
        expect(out.pruned).toEqual(ids.filter((id) => !active.includes(id)));
        const [left] = await ds.query(
          `SELECT array(SELECT id FROM jobs WHERE id = ANY($1) ORDER BY id) AS jobs,
                  (SELECT count(*) FROM executions WHERE job_id = ANY($2))::int AS executions,
                  (SELECT count(*) FROM job_analysis_versions WHERE job_id = ANY($2))::int AS versions`,
          [ids, out.pruned],
        );
        expect(left).toEqual({ jobs: [...active].sort(), executions: 0, versions: 0 });
        const after = await seriesOf(ids);
        expect(after).toEqual(before);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it('pruneJobs: --older-than leaves recent jobs, a dry run changes nothing, unknown ids are named', async () => {
    const h = fc.sample(historyArb(3), { seed: 3, numRuns: 1 })[0]!;
    for (const r of h.runs) r.status = 'completed';
    const ids = await writeHistory(ds, prefix(), h);
    const repo = new RetentionRepository(ds);
    const recent = await repo.pruneJobs([...ids, 'no-such-job'], { finishedBefore: new Date('2020-01-01T00:00:00Z') });
    expect(recent.pruned).toEqual([]);
    expect(recent.skipped).toEqual([...ids.map((jobId) => ({ jobId, reason: 'too_recent' })), { jobId: 'no-such-job', reason: 'unknown' }]);
    const dry = await repo.pruneJobs(ids, { dryRun: true });
    expect(dry.pruned).toEqual(ids);
    const [{ n: jobs }] = await ds.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1)`, [ids]);
    expect(jobs).toBe(ids.length);
    const [{ n: summaries }] = await ds.query(`SELECT count(*)::int AS n FROM trend_runs WHERE job_id = ANY($1)`, [ids]);
    expect(summaries).toBe(0);
  });

  it('a series of runs whose axes differ is refused naming the first run that differs and how; unknown ids are named', async () => {
    const h: GenHistory = fc.sample(historyArb(2), { seed: 5, numRuns: 1 })[0]!;
    const base = prefix();
    const a = await writeHistory(ds, base, { ...h, runs: [{ ...h.runs[0]!, status: 'completed', createdAtS: 0 }] });
    const other: GenHistory = {
      ...h,
      regions: [...h.regions, 'mars-1'],
      runs: [
        {
          status: 'completed',
          createdAtS: 5,
          cells: Array.from({ length: h.questions.length * h.models.length * (h.regions.length + 1) }, () => [
            { state: 'failed' as const, classification: null, response: null },
          ]),
        },
      ],
    };
    const b = await writeHistory(ds, `${base}x`, other);
    const err = await new TrendRepository(ds).series([...b, ...a]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrendSeriesError);
    expect((err as TrendSeriesError).kind).toBe('axes_differ');
    expect((err as TrendSeriesError).jobIds).toEqual(b);
    expect((err as Error).message).toContain(`job "${b[0]}"`);
    expect((err as Error).message).toContain('regions: extra mars-1');
    const unknown = await new TrendRepository(ds).series([a[0]!, 'nope-1', 'nope-2']).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ kind: 'unknown_jobs', jobIds: ['nope-1', 'nope-2'] });
  });

  it("SeriesResolver.forSchedule finds a schedule's runs in time order, pruned ones included", async () => {
    const h = fc.sample(historyArb(4), { seed: 9, numRuns: 1 })[0]!;
    h.runs = [...h.runs, ...h.runs, ...h.runs].slice(0, 11).map((r) => ({ ...r, status: 'completed' as const }));
    const name = `sched.${prefix()}`;
    const ids = await writeHistory(ds, name, h);
    await writeHistory(ds, `${name}-x`, { ...h, runs: h.runs.slice(0, 1) });
    await new RetentionRepository(ds).pruneJobs(ids.slice(0, 3));
    const resolver = new SeriesResolver(ds);
    // Oldest first by creation time, then job id (code-unit order), whether the run is a job or a pruned job's summary.
    const created = new Map(ids.map((id, i) => [id, h.runs[i]!.createdAtS]));
    const order = [...ids].sort((x, y) => created.get(x)! - created.get(y)! || (x < y ? -1 : x > y ? 1 : 0));
    const all = await resolver.forSchedule(name);
    expect(all).toEqual(order);
    expect(await resolver.forSchedule(name, 4)).toEqual(all.slice(-4));
    expect(await resolver.forSchedule('no-such-schedule')).toEqual([]);
  });

  it("a schedule's retention (keep-runs) prunes through pruneJobs: its series is unchanged, the old jobs are gone", async () => {
    const h = fc.sample(historyArb(6), { seed: 13, numRuns: 1 })[0]!;
    h.runs = [...h.runs, ...h.runs].slice(0, 6).map((r, i) => ({ ...r, status: 'completed' as const, createdAtS: i }));
    const name = prefix();
    const ids = await writeHistory(ds, name, h);
    const before = await seriesOf(await new SeriesResolver(ds).forSchedule(name));
    await ds.query(`UPDATE schedules SET keep_runs = 2 WHERE id = $1`, [name]);
    const past = await new ScheduleRepository(ds).runsToPrune(name, new Date());
    expect(past).toEqual(ids.slice(0, 4));
    await new RetentionPruneRuns(ds).prune(name, past);
    const [{ jobs }] = await ds.query(`SELECT array(SELECT id FROM jobs WHERE schedule_id = $1 ORDER BY id) AS jobs`, [name]);
    expect(jobs).toEqual(ids.slice(4).sort());
    const after = await seriesOf(await new SeriesResolver(ds).forSchedule(name));
    expect(after).toEqual(before);
    expect(after.runs.map((r) => r.scheduleId)).toEqual(ids.map(() => name));
  });
});
