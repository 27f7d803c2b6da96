import { afterEach, describe, expect, it } from '@jest/globals';
import { createDataSource } from '@beacon/db';
import { parseConfig } from '@beacon/domain';
import { createRunnerApp } from '@beacon/runner';
import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { migratedDatabase, postJob, rowCounts, type TestDatabase } from '../utils/runner-harness.js';

/**
 * Jobs up to `limits.maxCellsPerJob` must be plannable: planning is a sequence of bounded statements inside the
 * submission's transaction, never one statement whose duration grows with the job. A database whose statement
 * timeout is lowered stands in for a job of a million cells against the default 30 s: one statement for the whole
 * job overruns it, bounded chunks do not.
 */

const regions = Array.from({ length: 10 }, (_, i) => `region-${i}`);
const models = Array.from({ length: 10 }, (_, i) => `model-${i}`);
const config = parseConfig([
  'regions:',
  ...regions.map((r) => `  ${r}: { displayName: "Region ${r}", baseUrl: "http://127.0.0.1:9/${r}/v1" }`),
  'models:',
  ...models.map((m) => `  ${m}: {}`),
].join('\n'), 'large config');

/** questions × 10 models × 10 regions × 10 repeats. */
function bigSpec(id: string, questions: number): string {
  return JSON.stringify({
    id, models, regions, repeats: 10,
    questions: Array.from({ length: questions }, (_, i) => ({ id: `q${i}`, text: `Question number ${i}?` })),
  });
}

interface Runner {
  url: string;
  ds: DataSource;
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

/** An API-only runner whose connections carry `statementTimeoutMs` as their statement_timeout. */
async function runnerWithStatementTimeout(statementTimeoutMs: number): Promise<Runner> {
  const db: TestDatabase = await migratedDatabase('plan');
  closers.push(() => db.close());
  const ds = createDataSource(db.url, { applicationName: 'beacon-test', poolSize: 4 });
  // The pool's own setting, as every daemon connection has it (30 s by default), lowered for this database.
  (ds.options.extra as { statement_timeout: number }).statement_timeout = statementTimeoutMs;
  await ds.initialize();
  closers.push(() => ds.destroy());
  const app: INestApplication = await createRunnerApp({ dataSource: ds, config, logger: false });
  await app.listen(0, '127.0.0.1');
  closers.push(() => app.close());
  return { url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`, ds: db.ds };
}

describe('planning large jobs', () => {
  it('defect 13.8: a job whose single planning statement would overrun the statement timeout is planned in bounded chunks, every cell once', async () => {
    const runner = await runnerWithStatementTimeout(3_000);
    const started = performance.now();
    const res = await postJob(runner.url, bigSpec('plan-200k', 200));
    const ms = performance.now() - started;
    expect(res).toMatchObject({ status: 201, body: { id: 'plan-200k', cells: 200_000, created: true } });
    const [row] = await runner.ds.query(
      `SELECT count(*)::int AS n, count(DISTINCT (question_id, model_id, region, replicate))::int AS keys,
              count(DISTINCT trace_id)::int AS traces, min(replicate)::int AS lo, max(replicate)::int AS hi
         FROM executions WHERE job_id = 'plan-200k'`);
    expect(row).toEqual({ n: 200_000, keys: 200_000, traces: 200_000, lo: 0, hi: 9 });
    // Cells are numbered replicate-major, as before: the first replicate of every cell is claimed first.
    const [order] = await runner.ds.query(
      `SELECT bool_and(replicate >= prev) AS ordered FROM (
         SELECT replicate, lag(replicate, 1, 0) OVER (ORDER BY id) AS prev FROM executions WHERE job_id = 'plan-200k') x`);
    expect(order.ordered).toBe(true);
    process.stderr.write(`planned 200,000 cells in ${Math.round(ms)} ms under a 3 s statement timeout\n`);
  });

  it('defect 13.8: planning that still overruns the statement timeout answers 503 planning_timed_out, never 500, and stores nothing', async () => {
    const runner = await runnerWithStatementTimeout(50);
    const res = await fetch(`${runner.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bigSpec('plan-slow', 200) });
    const body = await res.json() as { error: string; message: string };
    expect(res.status).toBe(503);
    expect(body.error).toBe('planning_timed_out');
    expect(body.message).toMatch(/200000 cells/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await rowCounts(runner.ds)).toEqual({ jobs: 0, executions: 0 });
  });
});
