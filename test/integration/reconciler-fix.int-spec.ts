import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LiveListener, WORK_CHANNEL } from '@beacon/db';
import { renderSystemPrompt } from '@beacon/domain';
import { ReconcileService, RepairService, type AppliedRepair, type Finding, type Repair } from '@beacon/reconciler';
import type { DataSource } from 'typeorm';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { seedJob, type Row } from './reconciler-fixtures.js';

/** `beacon reconcile --fix`: safe, idempotent, audited repairs on a real PostgreSQL; nothing is ever deleted. */
describe('reconciler repairs', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase('recfix');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  async function findings(jobId: string): Promise<Finding[]> {
    const out = await new ReconcileService(ds).run({ scope: { jobId }, persist: true });
    if (out.skipped) throw new Error('skipped');
    expect(out.errors).toEqual([]);
    return out.findings;
  }
  async function plan(jobId: string): Promise<Repair[]> {
    return new RepairService(ds).plan(await findings(jobId));
  }
  async function fix(jobId: string): Promise<AppliedRepair[]> {
    return new RepairService(ds).apply(await plan(jobId), 'test');
  }
  const counts = async (): Promise<{ e: number; a: number }> => {
    const [r]: Row[] = await ds.query(
      `SELECT (SELECT count(*) FROM executions)::int AS e, (SELECT count(*) FROM execution_attempts)::int AS a`,
    );
    return { e: r!.e, a: r!.a };
  };
  const audit = (fp: string): Promise<Row[]> =>
    ds.query(`SELECT * FROM reconciler_repairs WHERE finding_fingerprint = $1 ORDER BY id`, [fp]);
  const cell = async (id: unknown): Promise<Row> => (await ds.query(`SELECT * FROM executions WHERE id = $1`, [id]))[0];

  /** A pending job whose first cell is running on a dead runner, its lease expired 5 minutes ago, with an open attempt. */
  async function stuckJob(): Promise<{ jobId: string; id: string }> {
    const { jobId, cells } = await seedJob(ds, { pending: true });
    await ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    const c = cells[0]!;
    const [{ spec }]: [Row] = await ds.query(`SELECT spec FROM jobs WHERE id = $1`, [jobId]);
    const system = renderSystemPrompt(spec.prompt.template, spec.regions.find((r: Row) => r.id === c.region).displayName);
    const user = spec.questions.find((q: Row) => q.id === c.question_id).text;
    await ds.query(
      `UPDATE executions SET state = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_owner = 'gone',
              lease_expires_at = now() - interval '5 minutes', started_at = now() - interval '10 minutes' WHERE id = $1`,
      [c.id],
    );
    await ds.query(
      `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                       system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, trace_id)
       SELECT e.id, e.job_id, 1, 'gone', e.lease_token, now() - interval '10 minutes', NULL, NULL, $2, $3, '{}'::jsonb, 'h', 'p', e.trace_id
         FROM executions e WHERE e.id = $1`,
      [c.id, system, user],
    );
    return { jobId, id: String(c.id) };
  }

  it('requeues a stuck running cell like the reaper, audited; --dry-run changes nothing; a second --fix is a no-op', async () => {
    const { jobId, id } = await stuckJob();
    const fp = `stuck_running:${id}`;
    const before = await counts();

    // dry run: plan only
    const planned = await plan(jobId);
    expect(planned).toEqual([
      expect.objectContaining({ fingerprint: fp, ruleId: 'stuck_running', action: 'requeue_stuck', executionIds: [id] }),
    ]);
    expect(await cell(id)).toMatchObject({ state: 'running', lease_owner: 'gone' });
    expect(await audit(fp)).toEqual([]);

    // Idle runners hear of the requeued cell at once.
    const announced: string[] = [];
    let listening!: () => void;
    const ready = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const listener = new LiveListener({
      url: db.url,
      channel: WORK_CHANNEL,
      onPayload: (p) => announced.push(p),
      onListening: () => listening(),
    });
    await listener.start();
    await ready;
    let applied: AppliedRepair[];
    try {
      applied = await new RepairService(ds).apply(planned, 'test');
      await waitUntil(() => announced.length > 0);
    } finally {
      await listener.stop();
    }
    expect(announced).toEqual([jobId]);
    expect(applied).toEqual([expect.objectContaining({ action: 'requeue_stuck', applied: true, changedIds: [id] })]);
    expect(await cell(id)).toMatchObject({
      state: 'pending',
      lease_token: null,
      lease_owner: null,
      lease_expires_at: null,
      failures: 0,
      lease_losses: 1,
      finished_at: null,
      last_error: { kind: 'lease_expired', by: 'reconciler', leaseLosses: 1 },
    });
    const [att]: Row[] = await ds.query(`SELECT * FROM execution_attempts WHERE execution_id = $1`, [id]);
    expect(att).toMatchObject({ outcome: 'lease_expired' });
    expect(att!.ended_at).not.toBeNull();
    const rows = await audit(fp);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rule_id: 'stuck_running', action: 'requeue_stuck', applied_by: 'test' });
    expect(rows[0]!.execution_ids.map(String)).toEqual([id]);
    expect((await findings(jobId)).filter((f) => f.ruleId === 'stuck_running')).toEqual([]);

    // a second --fix finds nothing; re-applying the stale plan changes nothing and writes no audit row
    expect(await fix(jobId)).toEqual([]);
    expect(await new RepairService(ds).apply(planned, 'test')).toEqual([expect.objectContaining({ applied: false, changedIds: [] })]);
    expect(await audit(fp)).toHaveLength(1);
    expect(await cell(id)).toMatchObject({ state: 'pending', failures: 0, lease_losses: 1 });
    expect(await counts()).toEqual(before);
  });

  it('cancels pending out-of-spec cells and leaves running and finished ones alone', async () => {
    const { jobId, cells } = await seedJob(ds, { pending: true });
    await ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    const [pending, running, done] = [cells[0]!, cells[1]!, cells[2]!];
    await ds.query(`UPDATE executions SET question_id = 'off_spec_a' WHERE id = $1`, [pending.id]);
    await ds.query(
      `UPDATE executions SET question_id = 'off_spec_b', state = 'running', attempts = 1, lease_token = gen_random_uuid(),
              lease_owner = 'alive', lease_expires_at = now() + interval '5 minutes', started_at = now() WHERE id = $1`,
      [running.id],
    );
    await ds.query(
      `UPDATE executions SET question_id = 'off_spec_c', state = 'succeeded', attempts = 1, result_attempt = 1, response = 'r', started_at = now() - interval '1 minute',
              finished_at = now() WHERE id = $1`,
      [done.id],
    );
    const before = await counts();
    const fp = `out_of_spec:${jobId}`;

    const planned = await plan(jobId);
    expect(planned.filter((r) => r.ruleId === 'out_of_spec')).toEqual([
      expect.objectContaining({ fingerprint: fp, action: 'cancel_out_of_spec', executionIds: [String(pending.id)] }),
    ]);
    const applied = await new RepairService(ds).apply(planned, 'test');
    expect(applied.find((r) => r.ruleId === 'out_of_spec')).toMatchObject({ applied: true, changedIds: [String(pending.id)] });
    expect(await cell(pending.id)).toMatchObject({ state: 'cancelled' });
    expect((await cell(pending.id)).finished_at).not.toBeNull();
    expect(await cell(running.id)).toMatchObject({ state: 'running', lease_owner: 'alive' });
    expect(await cell(done.id)).toMatchObject({ state: 'succeeded' });
    expect(await audit(fp)).toHaveLength(1);

    // the finding remains (running and finished out-of-spec cells), but there is nothing left to repair
    expect((await findings(jobId)).map((f) => f.fingerprint)).toContain(fp);
    expect((await fix(jobId)).filter((r) => r.ruleId === 'out_of_spec')).toEqual([]);
    expect(await audit(fp)).toHaveLength(1);
    expect(await counts()).toEqual(before);
  });

  it('marks the later copy of a duplicate cell superseded_by the earliest succeeded one', async () => {
    const { jobId, cells } = await seedJob(ds);
    const [a, b] = [cells[0]!, cells[1]!];
    await ds.query(`UPDATE executions SET imported = true, legacy_id = 100 + id WHERE id = ANY($1::bigint[])`, [[a.id, b.id]]);
    await ds.query(
      `UPDATE executions SET question_id = $2, model_id = $3, region = $4, replicate = $5, started_at = $6::timestamptz + interval '1 minute'
        WHERE id = $1`,
      [b.id, a.question_id, a.model_id, a.region, a.replicate, a.started_at],
    );
    const before = await counts();
    const fp = `duplicate_cell:${jobId}:${a.question_id}:${a.model_id}:${a.region}:${a.replicate}`;
    expect((await findings(jobId)).map((f) => f.fingerprint)).toContain(fp);

    const applied = (await fix(jobId)).filter((r) => r.ruleId === 'duplicate_cell');
    expect(applied).toEqual([
      expect.objectContaining({
        fingerprint: fp,
        action: 'mark_superseded',
        keepId: String(a.id),
        executionIds: [String(b.id)],
        applied: true,
        changedIds: [String(b.id)],
      }),
    ]);
    expect((await cell(b.id)).superseded_by).toBe(String(a.id));
    expect((await cell(a.id)).superseded_by).toBeNull();
    expect(await audit(fp)).toHaveLength(1);
    expect((await findings(jobId)).map((f) => f.fingerprint)).not.toContain(fp);

    expect((await fix(jobId)).filter((r) => r.ruleId === 'duplicate_cell')).toEqual([]);
    expect(await audit(fp)).toHaveLength(1);
    expect(await counts()).toEqual(before);
  });

  describe('CLI', () => {
    beforeAll(() => requireBuild());
    const reconcile = (args: string[]) => runCli(['reconcile', ...args], { env: cliEnv({ DATABASE_URL: db.url }) });

    it('--fix --dry-run --json plans without changing anything; --fix applies and exits on what remains', async () => {
      const { jobId, id } = await stuckJob();
      const dry = await reconcile(['--fix', '--dry-run', '--json', '--job', jobId]);
      expect(dry.code).toBe(1);
      const out = JSON.parse(dry.stdout);
      expect(out).toMatchObject({ dryRun: true, failing: 1 });
      expect(out.findings.map((f: any) => f.fingerprint)).toEqual([`stuck_running:${id}`]);
      expect(out.repairs).toEqual([expect.objectContaining({ action: 'requeue_stuck', executionIds: [id], applied: false })]);
      expect(await cell(id)).toMatchObject({ state: 'running' });
      expect(await audit(`stuck_running:${id}`)).toEqual([]);

      const real = await reconcile(['--fix', '--json', '--job', jobId]);
      expect(real.code).toBe(0);
      const done = JSON.parse(real.stdout);
      expect(done).toMatchObject({ dryRun: false, findings: [], failing: 0 });
      expect(done.repairs).toEqual([expect.objectContaining({ action: 'requeue_stuck', applied: true, changedIds: [id] })]);
      expect(await cell(id)).toMatchObject({ state: 'pending' });
      expect(await audit(`stuck_running:${id}`)).toHaveLength(1);

      const again = await reconcile(['--fix', '--job', jobId]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('no repairs applied');
      expect(await audit(`stuck_running:${id}`)).toHaveLength(1);
    });

    it('review: beacon reconcile --fix counts a lost call against the configured limits.maxLeaseLossesPerCell, as the reaper', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-recfix-'));
      try {
        const config = path.join(dir, 'beacon.config.yaml');
        writeFileSync(config, 'limits:\n  maxLeaseLossesPerCell: 1\n');
        const { jobId, id } = await stuckJob();
        const res = await runCli(['reconcile', '--fix', '--json', '--job', jobId], {
          env: cliEnv({ DATABASE_URL: db.url, BEACON_CONFIG: config }),
        });
        expect(JSON.parse(res.stdout).repairs).toEqual([
          expect.objectContaining({ action: 'requeue_stuck', applied: true, changedIds: [id] }),
        ]);
        // Its one started call was lost: with a bound of 1 the cell fails (the default, 5, would requeue it).
        expect(await cell(id)).toMatchObject({ state: 'failed', lease_losses: 1 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

/** Resolves once `check` holds, polling every 10 ms; rejects after 5 s. */
async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
