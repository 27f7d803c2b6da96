import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FindingsRepository, RECONCILER_LOCK_KEY, ReconcileService, type ReconcileResult } from '@beacon/reconciler';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { seedJob, type Row } from './reconciler-fixtures.js';

/** Findings persistence (first seen kept, resolved not deleted, reopened), run records and the advisory lock. */
describe('reconcile service', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase('recsvc');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  async function run(scope = {}): Promise<ReconcileResult> {
    const out = await new ReconcileService(ds).run({ scope, persist: true });
    if (out.skipped) throw new Error('skipped');
    return out;
  }
  const finding = async (fp: string): Promise<Row> => (await ds.query('SELECT * FROM reconciler_findings WHERE fingerprint = $1', [fp]))[0];
  const breakCell = (id: string) =>
    ds.query(
      `UPDATE executions SET state = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_owner = 'gone',
            lease_expires_at = now() - interval '5 minutes', run_after = now() WHERE id = $1`,
      [id],
    );

  it('keeps first_seen across runs, resolves a repaired finding and reopens it when it returns', async () => {
    const { jobId, cells } = await seedJob(ds, { pending: true });
    await ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    const id = String(cells[0]!.id);
    const fp = `stuck_running:${id}`;
    await breakCell(id);

    const first = await run();
    expect(first.findings.map((f) => f.fingerprint)).toEqual([fp]);
    expect(first.findings[0]).toMatchObject({ severity: 'critical', occurrences: 1, jobId });
    const seen1 = await finding(fp);

    const second = await run();
    expect(second.findings[0]).toMatchObject({ occurrences: 2, firstSeenAt: new Date(seen1.first_seen_at).toISOString() });
    const seen2 = await finding(fp);
    expect(seen2.first_seen_at).toEqual(seen1.first_seen_at);
    expect(seen2.last_seen_at.getTime()).toBeGreaterThanOrEqual(seen1.last_seen_at.getTime());

    await ds.query(
      `UPDATE executions SET state = 'pending', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`,
      [id],
    );
    const third = await run();
    expect(third.findings).toEqual([]);
    expect(third.resolved).toBe(1);
    const resolved = await finding(fp);
    expect(resolved.resolved_at).not.toBeNull();

    const repo = new FindingsRepository(ds);
    expect((await repo.list({}, 10, null)).items).toEqual([]);
    expect((await repo.list({ state: 'resolved', jobId }, 10, null)).items.map((f) => f.fingerprint)).toEqual([fp]);

    await breakCell(id);
    const fourth = await run();
    expect(fourth.findings[0]).toMatchObject({ fingerprint: fp, occurrences: 3 });
    const reopened = await finding(fp);
    expect(reopened.resolved_at).toBeNull();
    expect(reopened.first_seen_at).toEqual(seen1.first_seen_at);
    expect(await repo.openCounts()).toEqual([{ ruleId: 'stuck_running', severity: 'critical', count: 1 }]);

    const runs: Row[] = await ds.query(`SELECT kind, findings, error FROM reconciler_runs ORDER BY id`);
    expect(runs.map((r) => [r.kind, r.findings, r.error])).toEqual([
      ['full', 1, null],
      ['full', 1, null],
      ['full', 0, null],
      ['full', 1, null],
    ]);
    expect((await repo.lastRuns()).full).toBeInstanceOf(Date);
  });

  it('an incremental run resolves only within the jobs it looked at', async () => {
    const a = await seedJob(ds);
    await ds.query(`UPDATE jobs SET status = 'failed' WHERE id = $1`, [a.jobId]);
    const fp = `job_status_inconsistent:${a.jobId}`;
    expect((await run()).findings.map((f) => f.fingerprint)).toContain(fp);
    await ds.query(`UPDATE jobs SET status = 'completed', updated_at = now() - interval '1 day' WHERE id = $1`, [a.jobId]);
    const inc = await run({ since: new Date(Date.now() - 60_000) });
    expect(inc.kind).toBe('incremental');
    expect((await finding(fp)).resolved_at).toBeNull();
    await run({ jobId: a.jobId });
    expect((await finding(fp)).resolved_at).not.toBeNull();
  });

  it('runs one reconciler at a time (advisory lock)', async () => {
    const holder = ds.createQueryRunner();
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [RECONCILER_LOCK_KEY]);
      expect(await new ReconcileService(ds).run({ persist: true })).toEqual({ skipped: true });
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [RECONCILER_LOCK_KEY]);
    } finally {
      await holder.release();
    }
    const both = await Promise.all([new ReconcileService(ds).run({ persist: true }), new ReconcileService(ds).run({ persist: true })]);
    expect(both.filter((o) => !o.skipped).length).toBeGreaterThanOrEqual(1);
    expect(await new ReconcileService(ds).run({ persist: false })).toMatchObject({ skipped: false });
  });

  it('rejects an unknown rule id', async () => {
    await expect(new ReconcileService(ds).run({ ruleIds: ['nope'], persist: false })).rejects.toThrow(/unknown rule nope/);
  });
});
