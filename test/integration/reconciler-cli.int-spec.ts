import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { seedJob } from './reconciler-fixtures.js';
import { RECONCILER_LOCK_KEY } from '@beacon/reconciler';
import { waitFor } from '../utils/fleet.js';

/** `beacon reconcile` against a real database: exit 0 clean, 1 with a finding at or above --fail-on, 2 on bad flags. */
describe('beacon reconcile', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    requireBuild();
    db = await migratedDatabase('reccli');
  });
  afterAll(async () => {
    await db?.close();
  });

  const reconcile = (args: string[]) => runCli(['reconcile', ...args], { env: cliEnv({ DATABASE_URL: db.url }) });

  it('exits 0 on a clean database', async () => {
    const r = await reconcile(['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'full', findings: [], failing: 0 });
  });

  it('exits 1 with a stuck cell, prints a table, and respects --fail-on and --rule', async () => {
    const { jobId, cells } = await seedJob(db.ds, { pending: true });
    await db.ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    await db.ds.query(
      `UPDATE executions SET state = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_owner = 'gone',
              lease_expires_at = now() - interval '5 minutes' WHERE id = $1`,
      [cells[0]!.id],
    );
    const json = await reconcile(['--json', '--job', jobId]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).findings.map((f: any) => f.fingerprint)).toEqual([`stuck_running:${cells[0]!.id}`]);

    const table = await reconcile([]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^SEVERITY\s+RULE\s+JOB\s+SUMMARY\s+EVIDENCE/);
    expect(table.stdout).toContain(`critical  stuck_running  ${jobId}`);

    expect((await reconcile(['--rule', 'duplicate_results', '--since', '1h'])).code).toBe(0);
    await db.ds.query(
      `UPDATE executions SET state = 'pending', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`,
      [cells[0]!.id],
    );
    await db.ds.query(`UPDATE jobs SET status = 'failed' WHERE id = $1`, [jobId]);
    const warning = await reconcile(['--json', '--fail-on', 'critical']);
    expect(JSON.parse(warning.stdout).findings.map((f: any) => f.ruleId)).toEqual(['job_status_inconsistent']);
    expect(warning.code).toBe(0);
    expect((await reconcile(['--json'])).code).toBe(1);
  });

  it('names the missing cells of a finished job in the JSON and the table', async () => {
    const { jobId, cells } = await seedJob(db.ds);
    const gone = cells[1]!;
    await db.ds.query(`DELETE FROM executions WHERE id = $1`, [gone.id]);
    const json = await reconcile(['--json', '--job', jobId, '--rule', 'missing_cells']);
    expect(json.code).toBe(1);
    const [f] = JSON.parse(json.stdout).findings;
    expect(f).toMatchObject({
      ruleId: 'missing_cells',
      evidence: {
        count: 1,
        expected: 4,
        cells: [{ questionId: gone.question_id, modelId: gone.model_id, region: gone.region, replicate: 0 }],
      },
    });
    expect(f.summary).toContain(
      `1 of the 4 cells its spec plans have no execution: (${gone.region}, ${gone.model_id}, ${gone.question_id})`,
    );
    const table = await reconcile(['--job', jobId, '--rule', 'missing_cells']);
    expect(table.stdout).toContain(`1 cells ${gone.region}/${gone.model_id}/${gone.question_id}`);
  });

  it("a gate that starts during a daemon's scheduled pass waits for it instead of failing with exit 2", async () => {
    // Every daemon runs the reconciler every 30 s under one advisory lock. A CI gate that happened to start during
    // such a pass used to exit 2 ("another reconciler holds the lock"), failing the build on a clean database.
    const holder = db.ds.createQueryRunner();
    await holder.connect();
    try {
      const { jobId } = await seedJob(db.ds);
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [RECONCILER_LOCK_KEY]);
      const run = reconcile(['--json', '--job', jobId]);
      let settled = false;
      void run.then(() => (settled = true));
      // The CLI is blocked on the lock: it has connected and is waiting (seen in pg_locks), and has not exited.
      await waitFor(
        'the CLI to wait on the reconciler lock',
        async () => {
          const [row] = await db.ds.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
          return row.n > 0;
        },
        60_000,
      );
      expect(settled).toBe(false);
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [RECONCILER_LOCK_KEY]);
      const r = await run;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ findings: [], failing: 0 });
    } finally {
      await holder.release();
    }
  });

  it('gives up after --lock-wait with exit 2 and says why', async () => {
    const holder = db.ds.createQueryRunner();
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [RECONCILER_LOCK_KEY]);
      const r = await reconcile(['--json', '--lock-wait', '1s']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/another reconciler run held the lock for 1s/);
      // With --json the failure is also the one JSON document on stdout (no findings were printed).
      expect(JSON.parse(r.stdout)).toEqual({
        error: { code: 'usage', exitCode: 2, message: expect.stringMatching(/another reconciler run held the lock for 1s/), problems: [] },
      });
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [RECONCILER_LOCK_KEY]);
      await holder.release();
    }
    expect((await reconcile(['--lock-wait', 'soon'])).code).toBe(2);
  });

  it('exits 2 on bad flags', async () => {
    expect((await reconcile(['--fail-on', 'fatal'])).code).toBe(2);
    expect((await reconcile(['--since', 'yesterday'])).code).toBe(2);
    expect((await reconcile(['--rule', 'nope'])).code).toBe(2);
  });
});
