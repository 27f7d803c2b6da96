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
const config = parseConfig(
  [
    'regions:',
    ...regions.map((r) => `  ${r}: { displayName: "Region ${r}", baseUrl: "http://127.0.0.1:9/${r}/v1" }`),
    'models:',
    ...models.map((m) => `  ${m}: {}`),
  ].join('\n'),
  'large config',
);

/** questions × 10 models × 10 regions × 10 repeats. */
function bigSpec(id: string, questions: number): string {
  return JSON.stringify({
    id,
    models,
    regions,
    repeats: 10,
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
         FROM executions WHERE job_id = 'plan-200k'`,
    );
    expect(row).toEqual({ n: 200_000, keys: 200_000, traces: 200_000, lo: 0, hi: 9 });
    // Cells are numbered replicate-major, as before: the first replicate of every cell is claimed first.
    const [order] = await runner.ds.query(
      `SELECT bool_and(replicate >= prev) AS ordered FROM (
         SELECT replicate, lag(replicate, 1, 0) OVER (ORDER BY id) AS prev FROM executions WHERE job_id = 'plan-200k') x`,
    );
    expect(order.ordered).toBe(true);
    process.stderr.write(`planned 200,000 cells in ${Math.round(ms)} ms under a 3 s statement timeout\n`);
  });

  it('defect 13.8: planning that still overruns the statement timeout answers 503 planning_timed_out, never 500, and stores nothing', async () => {
    const runner = await runnerWithStatementTimeout(50);
    const res = await fetch(`${runner.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bigSpec('plan-slow', 200),
    });
    const body = (await res.json()) as { error: string; message: string };
    expect(res.status).toBe(503);
    expect(body.error).toBe('planning_timed_out');
    expect(body.message).toMatch(/200000 cells/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await rowCounts(runner.ds)).toEqual({ jobs: 0, executions: 0 });
  });

  it('review: at most 2 large plannings run at once per daemon; another large submission is refused 503 planning_busy with Retry-After, a small one is not', async () => {
    const runner = await runnerWithStatementTimeout(30_000);
    // Hold every planning at its first statement: the cells table is locked against inserts by this transaction.
    const blocker = runner.ds.createQueryRunner();
    await blocker.connect();
    closers.push(() => blocker.release());
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE executions IN SHARE MODE');
    const waiting = async (): Promise<number> =>
      (
        await runner.ds.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )
      )[0].n;
    const until = async (n: number): Promise<void> => {
      for (let i = 0; (await waiting()) < n; i++) {
        if (i > 600) throw new Error(`never ${n} plannings waiting`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      // 6 questions × 1,000 = 6,000 cells: more than one planning statement.
      const a = postJob(runner.url, bigSpec('large-a', 6));
      const b = postJob(runner.url, bigSpec('large-b', 6));
      await until(2);
      const res = await fetch(`${runner.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bigSpec('large-c', 6),
      });
      const body = (await res.json()) as { error: string; message: string };
      expect(res.status).toBe(503);
      expect(body.error).toBe('planning_busy');
      expect(body.message).toMatch(/large-c \(6000 cells\) was not stored/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      // A small job (one planning statement) is not limited: it waits on the lock like the others.
      const small = postJob(runner.url, bigSpec('small-1', 1));
      await until(3);
      await blocker.commitTransaction();
      expect((await a).status).toBe(201);
      expect((await b).status).toBe(201);
      expect((await small).status).toBe(201);
      // The slots are given back: the refused job goes through now.
      expect((await postJob(runner.url, bigSpec('large-c', 6))).status).toBe(201);
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction().catch(() => undefined);
    }
  });
});
