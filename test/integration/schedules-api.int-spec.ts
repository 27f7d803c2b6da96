import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ScheduleRepository } from '@beacon/db';
import { ScheduleTicker } from '../../apps/runner/src/schedules/schedule-ticker.js';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';
import { call, securedConfig, TOKENS } from '../utils/security.js';
import { waitFor } from '../utils/fleet.js';

/**
 * `/api/v1/schedules` on a real daemon and database (issue 16.1): creation and its refusals, a firing after an outage
 * (catch-up and the missed summary, overlap skip and queue), run-now, pause and resume, retention's choice of runs,
 * roles, and the metrics, each checked against the rows.
 */

const spec = { questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east', 'eu-west'] };
const HOUR = 3_600_000;

type Row = Record<string, any>;

describe('schedules API', () => {
  let runner: TestRunner;
  const op = TOKENS.operator.secret;

  beforeAll(async () => {
    runner = await startTestRunner(securedConfig());
  });
  afterAll(async () => {
    await runner?.close();
  });

  const api = (method: string, path: string, body?: unknown, token: string = op) =>
    call(runner.baseUrl, method, path, { token, body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body) });
  const dbNow = async (): Promise<number> => ((await runner.ds.query('SELECT now() AS now'))[0].now as Date).getTime();
  const count = async (sql: string, params: unknown[] = []): Promise<number> => (await runner.ds.query(sql, params))[0].n;

  it('refuses bad schedules with a 400 naming each field, and writes nothing', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'a', spec, every: '1h', cron: '0 * * * *' }, '$.every'],
      [{ name: 'a', spec }, '$.every'],
      [{ name: 'a', spec, every: '500ms' }, '$.every'],
      [{ name: 'a', spec, cron: '61 * * * *' }, '$.cron'],
      [{ name: 'a', spec, cron: '0 0 31 2 *' }, '$.cron'],
      [{ name: '-bad', spec, every: '1h' }, '$.name'],
      [{ name: 'x'.repeat(101), spec, every: '1h' }, '$.name'],
      [{ name: 'a', spec: { ...spec, id: 'fixed' }, every: '1h' }, '$.spec.id'],
      [{ name: 'a', spec: { ...spec, models: ['no-such-model'] }, every: '1h' }, '$.spec.models[0]'],
      [{ name: 'a', every: '1h' }, '$.spec'],
      [{ name: 'a', spec, every: '1h', overlap: 'wait' }, '$.overlap'],
      [{ name: 'a', spec, every: '1h', catchUp: -1 }, '$.catchUp'],
      [{ name: 'a', spec, every: '1h', keepRuns: 0 }, '$.keepRuns'],
      [{ name: 'a', spec, every: '1h', colour: 'red' }, '$.colour'],
    ];
    for (const [body, path] of cases) {
      const res = await api('POST', '/api/v1/schedules', body);
      expect([res.status, res.body.error]).toEqual([400, 'invalid_schedule']);
      expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
    }
    expect(await count('SELECT count(*)::int AS n FROM schedules')).toBe(0);
  });

  it('lets viewers read and operators change; a submitter may not create a schedule', async () => {
    const body = { name: 'hourly', spec, every: '1h', catchUp: 1 };
    expect((await api('POST', '/api/v1/schedules', body, TOKENS.submitter.secret)).status).toBe(403);
    const created = await api('POST', '/api/v1/schedules', body);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/schedules/hourly');
    const now = await dbNow();
    expect(created.body).toMatchObject({
      name: 'hourly',
      cadence: { kind: 'every', everyMs: HOUR, every: '1h' },
      paused: false,
      overlap: 'skip',
      catchUp: 1,
      runs: 0,
      lastRun: null,
      createdBy: TOKENS.operator.name,
      cells: 2,
      ticks: [],
    });
    // The first tick: the first whole hour after creation.
    const next = Date.parse(created.body.nextRunAt);
    expect(next % HOUR).toBe(0);
    expect(next).toBeGreaterThan(now - 5000);
    expect(next - now).toBeLessThanOrEqual(HOUR);
    expect((await api('POST', '/api/v1/schedules', body)).status).toBe(409);
    const list = await api('GET', '/api/v1/schedules', undefined, TOKENS.viewer.secret);
    expect(list.status).toBe(200);
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['hourly']);
    expect((await api('POST', '/api/v1/schedules/hourly/pause', undefined, TOKENS.viewer.secret)).status).toBe(403);
    expect((await api('GET', '/api/v1/schedules/nope')).body).toMatchObject({ error: 'schedule_not_found' });
    expect((await api('GET', '/api/v1/schedules/nope')).status).toBe(404);
    expect((await api('POST', '/api/v1/schedules/nope/run-now')).status).toBe(404);
    expect((await api('GET', '/api/v1/schedules/%20x')).status).toBe(400);
  });

  it('after an outage fires the current tick and catch-up missed ones, summarises the rest in one row, and skips while a run is going', async () => {
    // Five hours of ticks owed, as if every daemon had been down.
    const now = await dbNow();
    const hour = Math.floor(now / HOUR) * HOUR;
    await runner.ds.query(`UPDATE schedules SET next_run_at = $1 WHERE id = 'hourly'`, [new Date(hour - 5 * HOUR)]);
    await runner.app.get(ScheduleTicker).look();
    const ticks: Row[] = await runner.ds.query(`SELECT * FROM schedule_ticks WHERE schedule_id = 'hourly' ORDER BY tick`);
    // Independently of the plan: the due ticks are the hours from hour-5h to the hour at firing; the latest is
    // current if at most 60 s old; with catch-up 1 the latest missed one fires too.
    const firedAt = (ticks[0]!.fired_at as Date).getTime();
    const latest = Math.floor(firedAt / HOUR) * HOUR;
    const due = Array.from({ length: (latest - (hour - 5 * HOUR)) / HOUR + 1 }, (_, i) => hour - 5 * HOUR + i * HOUR);
    const current = firedAt - latest <= 60_000;
    const firing = due.slice(-(current ? 2 : 1));
    const missed = due.slice(0, due.length - firing.length);
    expect(ticks.map((t) => [(t.tick as Date).getTime(), t.outcome])).toEqual([
      [missed[0], 'missed'],
      [firing[0], 'fired'],
      ...(current ? [[firing[1], 'skipped_overlap']] : []),
    ]);
    expect(ticks[0]).toMatchObject({ missed_count: missed.length, missed_exact: true });
    expect((ticks[0]!.missed_until as Date).getTime()).toBe(missed.at(-1));
    const jobs: Row[] = await runner.ds.query(
      `SELECT j.id, j.schedule_run, j.status, j.cells_expected, j.submitter, (SELECT count(*)::int FROM executions e WHERE e.job_id = j.id) AS planned
         FROM jobs j WHERE schedule_id = 'hourly'`,
    );
    expect(jobs).toEqual([{ id: 'hourly-1', schedule_run: 1, status: 'queued', cells_expected: 2, submitter: 'otto', planned: 2 }]);
    const detail = await api('GET', '/api/v1/schedules/hourly', undefined, TOKENS.viewer.secret);
    expect(detail.body).toMatchObject({ runs: 1, lastRun: { jobId: 'hourly-1', run: 1, status: 'queued' } });
    expect(Date.parse(detail.body.nextRunAt)).toBe(latest + HOUR);
    expect(detail.body.ticks.map((t: { outcome: string }) => t.outcome)).toEqual(ticks.map((t) => t.outcome).reverse());
  });

  it('queues under the queue policy, and run-now makes a manual run whatever the policy', async () => {
    expect((await api('PATCH', '/api/v1/schedules/hourly', { overlap: 'queue', keepRuns: 2 })).body).toMatchObject({
      overlap: 'queue',
      keepRuns: 2,
      keepDays: null,
    });
    // A schedule every second, whose first run never finishes here (this daemon has no engine): every later tick queues.
    // catchUp 5: the ticker also looks every second, so a look delayed on a loaded machine finds two ticks due; both
    // fire (and queue) instead of the older being recorded missed.
    expect((await api('POST', '/api/v1/schedules', { name: 'sec', spec, every: '1s', overlap: 'queue', catchUp: 5 })).status).toBe(201);
    await waitFor(
      'three ticks of sec',
      async () => (await count(`SELECT count(*)::int AS n FROM schedule_ticks WHERE schedule_id = 'sec'`)) >= 3,
      20_000,
    );
    await api('POST', '/api/v1/schedules/sec/pause');
    const sec: Row[] = await runner.ds.query(`SELECT outcome, job_id, run FROM schedule_ticks WHERE schedule_id = 'sec' ORDER BY tick`);
    expect(sec.map((t) => t.outcome)).toEqual(['fired', ...sec.slice(1).map(() => 'queued')]);
    expect(sec.map((t) => [t.job_id, t.run])).toEqual(sec.map((_, i) => [`sec-${i + 1}`, i + 1]));
    await api('POST', '/api/v1/schedules/hourly/pause');
    const manual = await api('POST', '/api/v1/schedules/hourly/run-now');
    expect(manual.status).toBe(201);
    expect(manual.body).toMatchObject({ name: 'hourly', tick: { outcome: 'fired', manual: true, jobId: 'hourly-2', run: 2 } });
    expect(await count(`SELECT count(*)::int AS n FROM jobs WHERE schedule_id = 'hourly'`)).toBe(2);
  });

  it('pauses (nothing owed while paused) and resumes from the next tick after now', async () => {
    const paused = await api('GET', '/api/v1/schedules/hourly');
    expect(paused.body).toMatchObject({ paused: true, nextRunAt: null });
    expect(await runner.app.get(ScheduleRepository).fireDue('test')).toBeNull();
    const resumed = await api('POST', '/api/v1/schedules/hourly/resume');
    const now = await dbNow();
    expect(resumed.body.paused).toBe(false);
    expect(Date.parse(resumed.body.nextRunAt)).toBe((Math.floor(now / HOUR) + 1) * HOUR);
  });

  it('counts every tick outcome in the metrics, as the rows say', async () => {
    const rows: Row[] = await runner.ds.query(
      `SELECT outcome, sum(coalesce(missed_count, 1))::int AS n FROM schedule_ticks GROUP BY outcome`,
    );
    const metrics = (await call(runner.baseUrl, 'GET', '/metrics', { token: op })).body as string;
    for (const outcome of ['fired', 'skipped_overlap', 'queued', 'missed']) {
      const n = rows.find((r) => r.outcome === outcome)?.n ?? 0;
      expect(metrics).toContain(`beacon_schedule_firings_total{outcome="${outcome}"} ${n}`);
    }
    // One lag per cadence tick fired or queued (a manual run has none).
    const lagged = await count(`SELECT count(*)::int AS n FROM schedule_ticks WHERE outcome IN ('fired','queued') AND NOT manual`);
    expect(metrics).toContain(`beacon_schedule_lag_seconds_count ${lagged}\n`);
  });

  it('retention: runsToPrune names exactly the finished runs past keep-runs or keep-days, never the latest (generated)', async () => {
    const repo = runner.app.get(ScheduleRepository);
    const run = fc.record({
      status: fc.constantFrom('queued', 'running', 'completed', 'failed', 'cancelled'),
      ageDays: fc.integer({ min: 0, max: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(run, { minLength: 1, maxLength: 10 }),
        fc.option(fc.integer({ min: 1, max: 6 })),
        fc.option(fc.integer({ min: 1, max: 20 })),
        async (runs, keepRuns, keepDays) => {
          await runner.ds.query(`DELETE FROM jobs WHERE schedule_id = 'hourly' AND schedule_run > 1`);
          await runner.ds.query(
            `UPDATE jobs SET status = 'completed', created_at = now() - interval '40 days' WHERE schedule_id = 'hourly'`,
          );
          await repo.update('hourly', { keepRuns, keepDays });
          for (const [i, r] of runs.entries()) {
            await runner.ds.query(
              `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected, status, created_at, schedule_id, schedule_run)
               SELECT $1, format, spec_received, spec_hash, spec, cells_expected, $2, now() - make_interval(days => $3), 'hourly', $4
                 FROM jobs WHERE id = 'hourly-1'`,
              [`hourly-${i + 2}`, r.status, r.ageDays, i + 2],
            );
          }
          const now = new Date(await dbNow());
          const got = await repo.runsToPrune('hourly', now);
          // Independently: a run exactly keep-days old was created before the moment asked about, so it is past it.
          // Run 1 (40 days old, completed) then the generated ones, newest last.
          const all = [{ n: 1, status: 'completed', ageDays: 40 }].concat(runs.map((r, i) => ({ n: i + 2, ...r })));
          const latest = all.length;
          const expected = all
            .filter((r) => r.n !== latest && ['completed', 'failed', 'cancelled'].includes(r.status))
            .filter((r) => (keepRuns !== null && latest - r.n + 1 > keepRuns) || (keepDays !== null && r.ageDays >= keepDays))
            .map((r) => `hourly-${r.n}`);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('removes a schedule and its ticks; its jobs stay, unlinked', async () => {
    const linked = await count(`SELECT count(*)::int AS n FROM jobs WHERE schedule_id = 'hourly'`);
    const removed = await api('DELETE', '/api/v1/schedules/hourly');
    expect(removed.body).toEqual({ name: 'hourly', removed: true });
    expect((await api('GET', '/api/v1/schedules/hourly')).status).toBe(404);
    expect(await count(`SELECT count(*)::int AS n FROM schedule_ticks WHERE schedule_id = 'hourly'`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM jobs WHERE id LIKE 'hourly-%' AND schedule_id IS NULL`)).toBe(linked);
    // Created again, it numbers its runs after the jobs already named hourly-<n>.
    const again = await api('POST', '/api/v1/schedules', { name: 'hourly', spec, every: '1h' });
    const maxRun = await count(`SELECT max(substring(id from 8)::int)::int AS n FROM jobs WHERE id LIKE 'hourly-%'`);
    expect(again.body.runs).toBe(maxRun);
  });
});
