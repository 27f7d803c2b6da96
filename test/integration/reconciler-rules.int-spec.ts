import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ControlsRepository,
  JobRepository,
  LifecycleRepository,
  QueueRepository,
  RunnerRepository,
  TRANSPARENCY_LOCK_KEY,
  TransparencyRepository,
} from '@beacon/db';
import { generateKeyPairSync } from 'node:crypto';
import { defaultConfig, normaliseJobSpec, signNote } from '@beacon/domain';
import { Engine, OpenAiCompatibleProvider, engineOptions } from '@beacon/engine';
import { startSimulator } from '@beacon/simulator';
import { ReconcileService, RULES, type Finding, type ReconcilerThresholds } from '@beacon/reconciler';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { addAttempt, seedJob } from './reconciler-fixtures.js';

/** Every reconciler rule on a real PostgreSQL: silent on a healthy job, firing on one constructed case each. */
describe('reconciler rules', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase('recon');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  async function check(jobId: string, thresholds: Partial<ReconcilerThresholds> = {}): Promise<Finding[]> {
    const out = await new ReconcileService(ds, thresholds).run({ scope: { jobId }, persist: false });
    if (out.skipped) throw new Error('skipped');
    expect(out.errors).toEqual([]);
    return out.findings;
  }
  const byRule = (fs: Finding[], rule: string) => fs.filter((f) => f.ruleId === rule);

  it('is silent on an empty database and on a healthy finished job', async () => {
    const empty = await new ReconcileService(ds).run({ persist: true });
    expect(empty).toMatchObject({ skipped: false, kind: 'full', findings: [], errors: [] });
    const { jobId } = await seedJob(ds, {
      questions: ['math_basic', 'geography_basic', 'identity_basic'],
      regions: ['eu-west', 'us-east', 'asia-pacific'],
    });
    expect(await check(jobId)).toEqual([]);
    const full = await new ReconcileService(ds).run({ persist: false });
    expect(full).toMatchObject({ skipped: false, findings: [], errors: [] });
  });

  it('stalled_pending: runnable cells nobody claims', async () => {
    const { jobId, cells } = await seedJob(ds, { pending: true, models: ['mistral-7b'], regions: ['asia-pacific'] });
    const [f] = byRule(await check(jobId), 'stalled_pending');
    expect(f?.fingerprint).toBe(`stalled_pending:${jobId}:asia-pacific:mistral-7b`);
    expect(f?.evidence.executionIds).toEqual(cells.map((c) => String(c.id)));
    // Paused by an operator (the job, or its region and model), the cells wait on purpose: no finding.
    const controls = new ControlsRepository(ds);
    expect((await new LifecycleRepository(ds).setJobPaused(jobId, true, 'otto')).found).toBe(true);
    expect(byRule(await check(jobId), 'stalled_pending')).toEqual([]);
    await new LifecycleRepository(ds).setJobPaused(jobId, false, 'otto');
    await controls.changeKey('asia-pacific', 'mistral-7b', { paused: true }, 'otto');
    expect(byRule(await check(jobId), 'stalled_pending')).toEqual([]);
    await controls.changeKey('asia-pacific', 'mistral-7b', { paused: false }, 'otto');
    expect(byRule(await check(jobId), 'stalled_pending')).toHaveLength(1);
    await ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    expect(byRule(await check(jobId), 'stalled_pending')).toEqual([]);
  });

  it('duplicate_results: two succeeded attempts of one cell', async () => {
    const { jobId, cells } = await seedJob(ds);
    const extra = await addAttempt(ds, cells[0]!, 2, 'succeeded', '20 seconds', '30 seconds');
    const fs = await check(jobId);
    const [f] = byRule(fs, 'duplicate_results');
    const c = cells[0]!;
    expect(f?.fingerprint).toBe(`duplicate_results:${jobId}:${c.question_id}:${c.model_id}:${c.region}:0`);
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.executionIds).toEqual([String(c.id)]);
    expect(f?.evidence.attemptIds).toContain(extra);
    expect(byRule(fs, 'overlapping_attempts')).toEqual([]);
  });

  it('overlapping_attempts: a second call while the first was in flight', async () => {
    const { jobId, cells } = await seedJob(ds);
    const extra = await addAttempt(ds, cells[1]!, 2, 'fenced', '2 seconds', '12 seconds');
    const [f] = byRule(await check(jobId), 'overlapping_attempts');
    expect(f?.fingerprint).toBe(`overlapping_attempts:${cells[1]!.id}:1:2`);
    expect(f?.evidence.attemptIds).toContain(extra);
  });

  it('stuck_running: an expired lease nobody reaped', async () => {
    const { jobId, cells } = await seedJob(ds, { pending: true });
    await ds.query(
      `UPDATE executions SET state = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_owner = 'gone',
              lease_expires_at = now() - interval '5 minutes', started_at = now() - interval '6 minutes', run_after = now() WHERE id = $1`,
      [cells[0]!.id],
    );
    await ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    const [f] = byRule(await check(jobId), 'stuck_running');
    expect(f?.fingerprint).toBe(`stuck_running:${cells[0]!.id}`);
    expect(f?.evidence).toMatchObject({ executionIds: [String(cells[0]!.id)], leaseOwner: 'gone' });
  });

  it('retry_storm and retry_burst_after_silence: many retries right after a quiet spell', async () => {
    const { jobId, cells } = await seedJob(ds, {
      pending: true,
      questions: ['math_basic', 'geography_basic', 'identity_basic'],
      models: ['qwen2.5-1.5b'],
      regions: ['us-east'],
    });
    await ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    for (const c of cells) {
      await ds.query(
        `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                         system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, trace_id)
         SELECT $1, $2, n, 'r', gen_random_uuid(), now() - CASE WHEN n = 1 THEN interval '30 minutes' ELSE interval '10 seconds' END,
                now() - CASE WHEN n = 1 THEN interval '29 minutes' ELSE interval '5 seconds' END,
                CASE WHEN n = 1 THEN 'retryable_error' ELSE 'retryable_error' END, 's', 'u', '{}'::jsonb, 'h', 'p', 't'
           FROM generate_series(1, 2) n`,
        [c.id, jobId],
      );
    }
    const fs = await check(jobId, { retryBurstMin: 3 });
    const [storm] = byRule(fs, 'retry_storm');
    expect(storm?.fingerprint).toBe('retry_storm:us-east:qwen2.5-1.5b');
    expect(storm?.jobId).toBeNull();
    expect(storm?.evidence).toMatchObject({ retries: 3, firstAttempts: 0 });
    const [burst] = byRule(fs, 'retry_burst_after_silence');
    expect(burst?.fingerprint).toBe('retry_burst_after_silence:us-east:qwen2.5-1.5b');
    expect((burst?.evidence.attemptIds as string[]).length).toBe(3);
    expect(byRule(await check(jobId), 'retry_burst_after_silence')).toEqual([]);
  });

  it('job_status_inconsistent: a stored status its cells do not support', async () => {
    const { jobId } = await seedJob(ds);
    await ds.query(`UPDATE jobs SET cancel_requested_at = now() WHERE id = $1`, [jobId]);
    expect(await check(jobId)).toEqual([]);
    await ds.query(`UPDATE jobs SET status = 'failed', cancel_requested_at = NULL WHERE id = $1`, [jobId]);
    const [f] = byRule(await check(jobId), 'job_status_inconsistent');
    expect(f?.fingerprint).toBe(`job_status_inconsistent:${jobId}`);
    expect(f?.evidence).toMatchObject({ status: 'failed', expected: 'completed' });
  });

  it('missing_cells: a finished job with a planned cell no row holds, named', async () => {
    const { jobId, cells } = await seedJob(ds);
    const gone = cells[0]!;
    await ds.query(`DELETE FROM executions WHERE id = $1`, [gone.id]);
    const [f] = byRule(await check(jobId), 'missing_cells');
    expect(f?.fingerprint).toBe(`missing_cells:${jobId}`);
    expect(f?.evidence).toMatchObject({
      expected: 4,
      count: 1,
      cells: [{ questionId: gone.question_id, modelId: gone.model_id, region: gone.region, replicate: 0 }],
    });
    expect(f?.summary).toContain(`(${gone.region}, ${gone.model_id}, ${gone.question_id})`);
  });

  it('out_of_spec: a cell for a question the spec does not list', async () => {
    const { jobId, cells } = await seedJob(ds);
    await ds.query(`UPDATE executions SET question_id = 'not_in_spec' WHERE id = $1`, [cells[0]!.id]);
    const [f] = byRule(await check(jobId), 'out_of_spec');
    expect(f?.fingerprint).toBe(`out_of_spec:${jobId}`);
    expect(f?.evidence).toMatchObject({
      executionIds: [String(cells[0]!.id)],
      questions: ['not_in_spec'],
      cells: [{ questionId: 'not_in_spec', modelId: cells[0]!.model_id, region: cells[0]!.region, replicate: 0 }],
      cellCount: 1,
    });
  });

  it('prompt_drift: different prompt hashes in one cell, and a system prompt off the template', async () => {
    const { jobId, cells } = await seedJob(ds);
    await addAttempt(ds, cells[0]!, 2, 'retryable_error', '20 seconds', '30 seconds', { hash: 'other' });
    const wrong = await addAttempt(ds, cells[1]!, 2, 'retryable_error', '20 seconds', '30 seconds', { system: 'You are somewhere else.' });
    const fs = byRule(await check(jobId), 'prompt_drift');
    expect(fs.map((f) => f.fingerprint).sort()).toEqual(
      [`prompt_drift:hash:${cells[0]!.id}`, `prompt_drift:template:${jobId}:${cells[1]!.region}`].sort(),
    );
    expect(fs.find((f) => f.fingerprint.includes('template'))?.evidence.attemptIds).toEqual([wrong]);
  });

  it('impossible_times: an execution that ends before it starts', async () => {
    const { jobId, cells } = await seedJob(ds);
    await ds.query(`UPDATE executions SET finished_at = started_at - interval '1 second' WHERE id = $1`, [cells[2]!.id]);
    const [f] = byRule(await check(jobId), 'impossible_times');
    expect(f?.fingerprint).toBe(`impossible_times:execution:${cells[2]!.id}`);
  });

  it('work_after_job_end: an attempt started after the job finished', async () => {
    const { jobId, cells } = await seedJob(ds);
    const late = await addAttempt(ds, cells[0]!, 2, 'fenced', '5 minutes', '6 minutes');
    const [f] = byRule(await check(jobId), 'work_after_job_end');
    expect(f?.fingerprint).toBe(`work_after_job_end:${jobId}`);
    expect(f?.evidence).toMatchObject({ attemptIds: [late], executionIds: [String(cells[0]!.id)] });
  });

  it('region_failing_wholesale: one region fails everything while the other succeeds', async () => {
    const { jobId } = await seedJob(ds, { questions: ['math_basic', 'geography_basic', 'identity_basic'] });
    await ds.query(
      `UPDATE executions SET state = 'failed', result_attempt = NULL, response = NULL WHERE job_id = $1 AND region = 'us-east'`,
      [jobId],
    );
    const failed: { id: string }[] = await ds.query(`SELECT id FROM executions WHERE job_id = $1 AND region = 'us-east'`, [jobId]);
    const fs = await check(jobId);
    const [f] = byRule(fs, 'region_failing_wholesale');
    expect(f?.fingerprint).toBe(`region_failing_wholesale:${jobId}:us-east`);
    expect((f?.evidence.executionIds as string[]).sort()).toEqual(failed.map((r) => String(r.id)).sort());
    expect(byRule(fs, 'job_status_inconsistent')).toHaveLength(1);
  });

  it('identical_responses: one model, the same text for different questions', async () => {
    const { jobId, cells } = await seedJob(ds);
    const same = cells.filter((c) => c.region === 'eu-west');
    await ds.query(`UPDATE executions SET response = 'I cannot help with that request right now.' WHERE id = ANY($1::bigint[])`, [
      same.map((c) => c.id),
    ]);
    const [f] = byRule(await check(jobId), 'identical_responses');
    expect(f?.fingerprint).toMatch(new RegExp(`^identical_responses:${jobId}:llama3.2-1b:[0-9a-f]{32}$`));
    expect(f?.evidence).toMatchObject({ questions: 2 });
  });

  it('region_mismatch: a provider reporting a region outside the configured list, and only that', async () => {
    const { jobId, cells } = await seedJob(ds, {
      questions: ['math_basic', 'geography_basic', 'identity_basic'],
      regions: ['eu-west', 'us-east'],
    });
    const set = (id: string, observed: string | null, allowed: string[] | null) =>
      ds.query(
        `UPDATE execution_attempts SET provider_kind = 'azure-openai', served_region = e.region, region_observed = $2,
                region_observed_allowed = $3::text[]
           FROM executions e WHERE e.id = execution_attempts.execution_id AND e.id = $1`,
        [id, observed, allowed],
      );
    const eu = cells.filter((c) => c.region === 'eu-west');
    const us = cells.filter((c) => c.region === 'us-east');
    // Judged and outside the list: two eu-west cells reported in eastus.
    await set(eu[0]!.id, 'eastus', ['westeurope', 'northeurope']);
    await set(eu[1]!.id, 'eastus', ['westeurope', 'northeurope']);
    // Not findings: inside the list; nothing observed; no list configured (not judged).
    await set(eu[2]!.id, 'westeurope', ['westeurope', 'northeurope']);
    await set(us[0]!.id, null, ['eastus']);
    await set(us[1]!.id, 'westeurope', []);
    const fs = byRule(await check(jobId), 'region_mismatch');
    expect(fs).toHaveLength(1);
    expect(fs[0]!.fingerprint).toBe(`region_mismatch:${jobId}:eu-west:eu-west:eastus`);
    expect(fs[0]!.severity).toBe('critical');
    expect(fs[0]!.evidence).toMatchObject({
      requestedRegion: 'eu-west',
      regionObserved: 'eastus',
      allowed: ['northeurope', 'westeurope'], // the union of the lists in force, sorted
      attempts: 2,
      providerKind: 'azure-openai',
    });
    expect([...(fs[0]!.evidence.executionIds as string[])].sort()).toEqual([eu[0]!.id, eu[1]!.id].map(String).sort());
  });

  it('is silent on a job the engine really ran (simulator, retries included)', async () => {
    const sim = await startSimulator({ port: 0, seed: 11, faults: { errorRate: 0.3, latencyMs: { min: 1, max: 5 } } });
    try {
      const config = defaultConfig();
      for (const r of Object.values(config.regions)) r.baseUrl = sim.baseUrlFor(r.id);
      const raw = {
        id: 'rec-engine',
        questions: ['math_basic', 'geography_basic', 'identity_basic'],
        models: ['llama3.2-1b'],
        regions: ['eu-west', 'us-east'],
      };
      const norm = normaliseJobSpec(raw, config);
      if (!norm.ok) throw new Error(JSON.stringify(norm.problems));
      await new JobRepository(ds).submit({
        spec: norm.spec,
        received: JSON.stringify(raw),
        hash: norm.hash,
        submitter: null,
        traceparent: null,
      });
      const stores = { queue: new QueueRepository(ds), lifecycle: new LifecycleRepository(ds), runners: new RunnerRepository(ds) };
      const engine = new Engine(
        engineOptions({ runnerId: 'rec-runner', config, pollMs: 20, leaseMs: 5_000, random: () => 0 }),
        stores,
        new OpenAiCompatibleProvider(),
      );
      await engine.start('test', 'host');
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [j] = await ds.query(`SELECT status FROM jobs WHERE id = 'rec-engine'`);
        if (!['queued', 'running'].includes(j.status)) break;
        if (Date.now() > deadline) throw new Error('job did not finish');
        await new Promise((r) => setTimeout(r, 50));
      }
      await engine.stop();
      const fs = await check('rec-engine');
      expect(fs.filter((f) => !['retry_storm', 'retry_burst_after_silence'].includes(f.ruleId))).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('has an explanation for every rule', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.explanation.length).toBeGreaterThan(100);
  });

  // Last in this file: the log it writes stays for the rest of the file's full passes.
  it('regression: transparency_log is clean on an untouched log of more than ten leaves and heads (their numbers were ordered as text: 0, 1, 10, …)', async () => {
    const repo = new TransparencyRepository(ds);
    const { privateKey } = generateKeyPairSync('ed25519');
    const signer = { keyId: 'log-1', origin: 'beacon.test/log', sign: (body: string) => signNote(body, 'log-1', privateKey) };
    // 25 appends of one receipt each: leaves 0…24 and signed heads of sizes 1…25.
    for (let i = 0; i < 25; i++) {
      await ds.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [TRANSPARENCY_LOCK_KEY]);
        await repo.appendLocked(
          tx,
          [{ executionId: String(9_000_000 + i), jobId: 'log-order', receipt: Buffer.from(`receipt ${i}`) }],
          signer,
        );
      });
    }
    const [{ leaves, heads }] = await ds.query(
      `SELECT (SELECT count(*) FROM transparency_leaves)::int AS leaves, (SELECT count(*) FROM transparency_heads)::int AS heads`,
    );
    expect({ leaves, heads }).toEqual({ leaves: 25, heads: 25 });
    const full = await new ReconcileService(ds).run({ persist: false });
    if (full.skipped) throw new Error('skipped');
    expect(full.errors).toEqual([]);
    expect(byRule(full.findings, 'transparency_log')).toEqual([]);
  });
});
