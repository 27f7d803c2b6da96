import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { JOB_STATUSES } from '@beacon/domain';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';

const BENCHMARKS = ['Bias', 'bias-v2', 'safety', 'Ünïcode 偏见'];
const SCHEDULES = ['nightly', 'weekly'];
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 2, 1);

/** A generated job: status, benchmark, creation time (within a week, any hour) and schedule. */
const job = fc.record({
  status: fc.constantFrom(...JOB_STATUSES),
  benchmark: fc.constantFrom(...BENCHMARKS),
  createdAt: fc.integer({ min: 0, max: 7 * DAY - 1 }).map((ms) => new Date(BASE + ms)),
  schedule: fc.constantFrom<string | null>(null, ...SCHEDULES),
});
const day = fc.integer({ min: 0, max: 7 }).map((d) => new Date(BASE + d * DAY).toISOString().slice(0, 10));
/** A filter: any subset of the five, and a page size. */
const filter = fc.record(
  {
    status: fc.constantFrom(...JOB_STATUSES),
    benchmark: fc.constantFrom('bias', 'BIAS-V', 'Ünï', '偏见', 'none'),
    from: day,
    to: day,
    schedule: fc.constantFrom(...SCHEDULES),
  },
  { requiredKeys: [] },
);

describe('GET /api/v1/jobs filters', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner();
    for (const s of SCHEDULES)
      await runner.ds.query(
        `INSERT INTO schedules (id, spec, spec_received, spec_hash, every_ms, paused) VALUES ($1, '{}', '{}', 'x', 60000, true)`,
        [s],
      );
  });
  afterAll(async () => runner?.close());

  it('lists exactly the jobs the rows say match, newest first, across cursor pages', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(job, { maxLength: 14 }), filter, fc.integer({ min: 1, max: 4 }), async (jobs, f, pageSize) => {
        if (f.from && f.to && f.from > f.to) [f.from, f.to] = [f.to, f.from];
        await runner.ds.query('DELETE FROM jobs');
        const ids: string[] = [];
        for (const j of jobs) {
          const id = `f${++n}`;
          ids.push(id);
          await runner.ds.query(
            `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected, status, created_at, schedule_id, schedule_run)
             VALUES ($1, 'beacon', '{}', 'x', $2, 1, $3, $4, $5, $6)`,
            [id, JSON.stringify({ id, benchmark: { name: j.benchmark } }), j.status, j.createdAt, j.schedule, j.schedule ? n : null],
          );
        }
        // Independently: the generated jobs, filtered in plain code, newest (last planted) first.
        const expected = jobs
          .map((j, i) => ({ ...j, id: ids[i]! }))
          .filter(
            (j) =>
              (!f.status || j.status === f.status) &&
              (!f.benchmark || j.benchmark.toLowerCase().includes(f.benchmark.toLowerCase())) &&
              (!f.from || j.createdAt.toISOString().slice(0, 10) >= f.from) &&
              (!f.to || j.createdAt.toISOString().slice(0, 10) <= f.to) &&
              (!f.schedule || j.schedule === f.schedule),
          )
          .map((j) => j.id)
          .reverse();
        const listed: string[] = [];
        let cursor: string | null = null;
        do {
          const q = new URLSearchParams({ ...(f as Record<string, string>), limit: String(pageSize), ...(cursor ? { cursor } : {}) });
          const res = await fetch(`${runner.baseUrl}/api/v1/jobs?${q.toString()}`);
          expect(res.status).toBe(200);
          const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
          expect(page.items.length).toBeLessThanOrEqual(pageSize);
          listed.push(...page.items.map((i) => i.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(listed).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a bad filter with a 400 naming the parameter', async () => {
    for (const [q, param] of [
      ['status=paused', 'status'],
      ['status=running&status=queued', 'status'],
      ['from=2026-02-30', 'from'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01', 'to'],
      ['from=2026-03-05&to=2026-03-04', 'to'],
      ['schedule=..', 'schedule'],
      [`benchmark=${'x'.repeat(201)}`, 'benchmark'],
      ['owner=me', 'owner'],
    ] as const) {
      const res = await fetch(`${runner.baseUrl}/api/v1/jobs?${q.toString()}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; problems: { path: string; message: string }[] };
      expect(body.error).toBe('invalid_parameter');
      expect(body.problems.map((p) => p.path)).toContain(param);
    }
  });
});
