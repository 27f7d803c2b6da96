import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { JobRepository, LegacyImportRepository, migrate } from '@beacon/db';
import { defaultConfig, legacyImportRows, normaliseJobSpec, parseLegacyDocument } from '@beacon/domain';
import { ReconcileService } from '@beacon/reconciler';
import { cliEnv, repoRoot, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

const fixture = path.join(repoRoot, 'test', 'fixtures', 'incident-2025-09-30.json');
const JOB = 'full-test-3regions-2questions-1759245237';

/** `beacon import` of the Go runner's exports, and the reconciler's findings on the imported incident. */
describe('beacon import', () => {
  let db: TestDatabase;
  let tmp: string;

  beforeAll(async () => {
    requireBuild();
    db = await migratedDatabase('import');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'beacon-import-'));
  });
  afterAll(async () => {
    await db?.close();
  });

  const cli = (args: string[]) => runCli(args, { env: cliEnv({ DATABASE_URL: db.url }) });
  const counts = async () => {
    const [r] = await db.ds.query(
      `SELECT (SELECT count(*)::int FROM jobs) AS jobs, (SELECT count(*)::int FROM executions) AS executions,
              (SELECT count(*)::int FROM execution_attempts) AS attempts,
              (SELECT max(updated_at) FROM executions) AS exec_updated, (SELECT max(updated_at) FROM jobs) AS job_updated`,
    );
    return r;
  };

  it('rejects a malformed document naming the file and the field, writing nothing', async () => {
    const doc = JSON.parse(readFileSync(fixture, 'utf8'));
    delete doc.executions[3].region;
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = await cli(['import', fixture, bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('executions[3].region: must be a non-empty string');
    expect(await counts()).toMatchObject({ jobs: 0, executions: 0, attempts: 0 });
  });

  it('imports the incident with its legacy ids, and a second import changes nothing', async () => {
    const first = await cli(['import', fixture, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).files).toEqual([
      expect.objectContaining({ jobId: JOB, jobCreated: true, imported: 10, alreadyPresent: 0 }),
    ]);
    const [job] = await db.ds.query('SELECT status, imported, legacy_id, cells_expected, spec FROM jobs WHERE id = $1', [JOB]);
    expect(job).toMatchObject({ status: 'completed', imported: true, legacy_id: '412', cells_expected: 12 });
    expect(job.spec.models.map((m: any) => m.id)).toEqual(['llama3.2-1b', 'qwen2.5-1.5b']);
    const rows = await db.ds.query(
      `SELECT legacy_id::int AS legacy_id, question_id, legacy_question_id, state, result_attempt FROM executions WHERE job_id = $1 ORDER BY legacy_id`,
      [JOB],
    );
    expect(rows.map((r: any) => r.legacy_id)).toEqual([953, 954, 955, 956, 957, 958, 959, 960, 961, 962]);
    expect(
      rows.every(
        (r: any) => r.question_id === '(batch)' && r.legacy_question_id === null && r.state === 'succeeded' && r.result_attempt === 1,
      ),
    ).toBe(true);
    const before = await counts();
    expect(before).toMatchObject({ jobs: 1, executions: 10, attempts: 10 });

    const again = await cli(['import', fixture]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 executions imported, 10 already present');
    expect(await counts()).toEqual(before);
  });

  it('is checked by the next incremental reconciler pass, although its own times are a year old', async () => {
    const out = await new ReconcileService(db.ds).run({ scope: { since: new Date(Date.now() - 3_600_000) }, persist: false });
    if (out.skipped) throw new Error('reconciler lock held');
    expect(out.kind).toBe('incremental');
    expect(out.findings.filter((f) => f.jobId === JOB).map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['duplicate_cell', 'out_of_spec', 'prompt_drift']),
    );
  });

  it("beacon reconcile reports the incident's findings and exits 1", async () => {
    const r = await cli(['reconcile', '--json', '--job', JOB]);
    expect(r.code).toBe(1);
    const findings: any[] = JSON.parse(r.stdout).findings;
    const byRule = (id: string) => findings.filter((f) => f.ruleId === id);

    const dup = byRule('duplicate_cell');
    expect(dup).toHaveLength(1);
    expect(dup[0].evidence).toMatchObject({
      executionIds: ['953', '955'],
      gapMs: 203199,
      responsesDiffer: true,
      region: 'us-east',
      modelId: 'qwen2.5-1.5b',
    });

    const drift = byRule('prompt_drift');
    expect(drift.some((f) => f.evidence.executionIds?.join() === '953,955')).toBe(true);
    expect(
      drift.some(
        (f) =>
          f.fingerprint === `prompt_drift:template:${JOB}:us-east` &&
          f.evidence.executionIds.includes('953') &&
          !f.evidence.executionIds.includes('955'),
      ),
    ).toBe(true);

    const oos = byRule('out_of_spec');
    expect(oos).toHaveLength(1);
    expect(oos[0].evidence).toMatchObject({ executionIds: ['954', '956', '958'], count: 3, cellCount: 3, models: ['mistral-7b'] });
    expect(oos[0].evidence.cells.map((c: any) => `${c.questionId} ${c.modelId} ${c.region}`).sort()).toEqual([
      '(batch) mistral-7b asia-pacific',
      '(batch) mistral-7b eu-west',
      '(batch) mistral-7b us-east',
    ]);
    // Every (model, region) of the spec ran, in batch mode: a batch-mode row holds every question there, so no cell
    // is missing (the 10 rows against 12 planned cells are batch_mode's and out_of_spec's, not missing_cells').
    expect(byRule('missing_cells')).toEqual([]);

    const batch = byRule('batch_mode');
    expect(batch).toHaveLength(1);
    expect(batch[0].evidence).toMatchObject({ count: 10, specQuestions: 2 });

    const burst = byRule('retry_burst_after_silence');
    expect(burst).toHaveLength(1);
    expect(burst[0].evidence).toMatchObject({
      before: 1,
      burst: 9,
      executionIds: ['954', '955', '956', '957', '958', '959', '960', '961', '962'],
    });
    expect(burst[0].evidence.silenceMs).toBeGreaterThanOrEqual(203_000);
    expect(burst[0].evidence.spanMs).toBeLessThan(1000);
  });

  it('imports JSON Lines of several exports, across statement chunks, storing odd text, and re-imports nothing', async () => {
    const incident = JSON.parse(readFileSync(fixture, 'utf8'));
    const doc = (jobspecId: string, legacyJobId: number, n: number) => ({
      job: { ...incident.job, id: legacyJobId, jobspec_id: jobspecId },
      executions: Array.from({ length: n }, (_, i) => ({
        ...incident.executions[i % incident.executions.length],
        id: String(50_000 + i),
        job_id: jobspecId,
        ...(i === 1
          ? { output: { response: 'nul\u0000 and lone \ud800 surrogate', metadata: {} }, completed_at: '0001-01-01T00:00:00Z' }
          : {}),
      })),
    });
    const file = path.join(tmp, 'many.jsonl');
    writeFileSync(file, `${JSON.stringify(doc('variant-big', 9001, 4500))}\n\n${JSON.stringify(doc('variant-small', 9002, 3))}\n`);
    const first = await cli(['import', file, '--json']);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).files.map((f: any) => [f.jobId, f.imported, f.alreadyPresent])).toEqual([
      ['variant-big', 4500, 0],
      ['variant-small', 3, 0],
    ]);
    const [big] = await db.ds.query(
      `SELECT count(*)::int AS executions, count(DISTINCT legacy_id)::int AS ids, min(legacy_id)::int AS lo, max(legacy_id)::int AS hi,
              (SELECT count(*)::int FROM execution_attempts a WHERE a.job_id = 'variant-big') AS attempts
         FROM executions WHERE job_id = 'variant-big'`,
    );
    expect(big).toEqual({ executions: 4500, ids: 4500, lo: 50_000, hi: 54_499, attempts: 4500 });
    const [odd] = await db.ds.query(
      `SELECT e.response, e.finished_at = e.started_at AS zero_end, a.response AS attempt_response
         FROM executions e JOIN execution_attempts a ON a.execution_id = e.id WHERE e.job_id = 'variant-small' AND e.legacy_id = 50001`,
    );
    expect(odd).toEqual({
      response: 'nul\ufffd and lone \ufffd surrogate',
      zero_end: true,
      attempt_response: 'nul\ufffd and lone \ufffd surrogate',
    });

    const before = await counts();
    const again = await cli(['import', file, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).files.map((f: any) => [f.imported, f.alreadyPresent])).toEqual([
      [0, 4500],
      [0, 3],
    ]);
    expect(await counts()).toEqual(before);
  });

  it('still plans a normal job once per cell next to imported rows', async () => {
    const result = normaliseJobSpec(
      { id: 'after-import', questions: ['identity_basic'], models: ['llama3.2-1b'], regions: ['us-east'] },
      defaultConfig(),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const out = await new JobRepository(db.ds).submit({
      spec: result.spec,
      received: '{}',
      hash: result.hash,
      submitter: null,
      traceparent: null,
    });
    expect(out).toMatchObject({ kind: 'created', cells: 1 });
    await expect(
      db.ds.query(`INSERT INTO executions (job_id, question_id, model_id, region, trace_id)
      SELECT job_id, question_id, model_id, region, trace_id FROM executions WHERE job_id = 'after-import'`),
    ).rejects.toThrow(/executions_cell_key/);
  });

  describe('an execution that completes before it starts', () => {
    const BACKWARDS = 'backwards-times';
    const importBackwards = async () => {
      const incident = JSON.parse(readFileSync(fixture, 'utf8'));
      const [first, second] = incident.executions;
      const doc = {
        job: { ...incident.job, id: 9156, jobspec_id: BACKWARDS },
        executions: [
          // Started 15:15:05.112, completed 3.112 s earlier: what the export says, and what must be kept.
          { ...first, job_id: BACKWARDS, completed_at: '2025-09-30T15:15:02.000Z' },
          { ...second, job_id: BACKWARDS },
        ],
      };
      return new LegacyImportRepository(db.ds, classifyResponse).store(legacyImportRows(parseLegacyDocument(doc)));
    };
    const backwardsRows = () =>
      db.ds.query(
        `SELECT e.id::text AS id, e.legacy_id::int AS legacy_id, e.started_at, e.finished_at, a.id::text AS attempt_id,
                a.started_at AS attempt_started, a.ended_at AS attempt_ended
           FROM executions e JOIN execution_attempts a ON a.execution_id = e.id
          WHERE e.job_id = $1 ORDER BY e.legacy_id`,
        [BACKWARDS],
      );

    it('defect 15.6: keeps the exported times, and impossible_times names that execution', async () => {
      expect(await importBackwards()).toMatchObject({ jobId: BACKWARDS, jobCreated: true, imported: 2 });
      const [backwards, fine] = await backwardsRows();
      // (a) the stored times are the source's, on the execution and on its attempt
      expect(
        [backwards.started_at, backwards.finished_at, backwards.attempt_started, backwards.attempt_ended].map((d: Date) => d.toISOString()),
      ).toEqual(['2025-09-30T15:15:05.112Z', '2025-09-30T15:15:02.000Z', '2025-09-30T15:15:05.112Z', '2025-09-30T15:15:02.000Z']);
      expect(fine.finished_at.toISOString()).toBe('2025-09-30T15:18:31.230Z');

      // (b) the reconciler flags it, naming that execution and only it
      const out = await new ReconcileService(db.ds).run({ scope: { jobId: BACKWARDS }, persist: false });
      if (out.skipped) throw new Error('reconciler lock held');
      const impossible = out.findings.filter((f) => f.ruleId === 'impossible_times');
      expect(impossible.map((f) => f.fingerprint)).toEqual([`impossible_times:execution:${backwards.id}`]);
      expect(impossible[0]!.evidence).toMatchObject({
        executionIds: [backwards.id],
        startedAt: '2025-09-30T15:15:05.112Z',
        finishedAt: '2025-09-30T15:15:02.000Z',
      });
    });

    it("defect 15.6: keeps the exported job's own status word and fields next to Beacon's word", async () => {
      const incident = JSON.parse(readFileSync(fixture, 'utf8'));
      const doc = { job: { ...incident.job, id: 9157, jobspec_id: 'running-when-exported', status: 'Running' }, executions: [] };
      await new LegacyImportRepository(db.ds, classifyResponse).store(legacyImportRows(parseLegacyDocument(doc)));
      const [job] = await db.ds.query(`SELECT status, legacy_status, legacy_data FROM jobs WHERE id = 'running-when-exported'`);
      expect(job).toEqual({
        status: 'failed',
        legacy_status: 'running',
        legacy_data: {
          id: 9157,
          jobspec_id: 'running-when-exported',
          status: 'Running',
          created_at: incident.job.created_at,
          updated_at: incident.job.updated_at,
        },
      });
    });

    it('the relaxed time-order check still refuses an attempt Beacon ran that ends before it starts', async () => {
      await importBackwards(); // already there when run after the test above (an import again changes nothing)
      const [backwards] = await backwardsRows();
      const attempt = (n: number, imported: boolean, endOffset: string) =>
        db.ds.query(
          `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at,
                                           system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, trace_id, imported)
           VALUES ($1, $2, $3, 'r', md5(random()::text)::uuid, now(), now() + $4::interval, '', '', '{}', 'h', 'h', 't', $5)
           RETURNING id`,
          [backwards.id, BACKWARDS, n, endOffset, imported],
        );
      await expect(attempt(2, false, '-1 second')).rejects.toThrow(/execution_attempts_time_order/);
      // Nor may an imported attempt lose its flag while its times are backwards.
      await expect(db.ds.query('UPDATE execution_attempts SET imported = false WHERE id = $1', [backwards.attempt_id])).rejects.toThrow(
        /execution_attempts_time_order/,
      );
      // Beacon's own attempts in order, and imported ones in any order, are accepted.
      const accepted = [...(await attempt(2, false, '1 second')), ...(await attempt(3, true, '-1 second'))];
      expect(accepted).toHaveLength(2);
      await db.ds.query('DELETE FROM execution_attempts WHERE id = ANY($1::bigint[])', [accepted.map((r: { id: string }) => r.id)]);
    });

    it('undoing the migrations keeps the imported times and restores the old check, NOT VALID while they break it', async () => {
      const own = await migratedDatabase('import_down');
      const check = async () =>
        (
          await own.ds.query(
            `SELECT pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conname = 'execution_attempts_time_order'`,
          )
        )[0];
      try {
        const incident = JSON.parse(readFileSync(fixture, 'utf8'));
        const [first] = incident.executions;
        const doc = {
          job: { ...incident.job, jobspec_id: BACKWARDS },
          executions: [{ ...first, job_id: BACKWARDS, completed_at: '2025-09-30T15:15:02.000Z' }],
        };
        await new LegacyImportRepository(own.ds, classifyResponse).store(legacyImportRows(parseLegacyDocument(doc)));
        expect(await check()).toEqual({ def: 'CHECK ((imported OR (ended_at IS NULL) OR (ended_at >= started_at)))', convalidated: true });

        // Every migration after ImportedTimeOrder (ImportedJobFacts, JobCost, …), then ImportedTimeOrder itself.
        const applied = async () => (await own.ds.query(`SELECT name FROM beacon_migrations`)).map((r: { name: string }) => r.name);
        while ((await applied()).includes('ImportedTimeOrder1796500000000')) await own.ds.undoLastMigration({ transaction: 'each' });
        expect(await check()).toEqual({ def: 'CHECK (((ended_at IS NULL) OR (ended_at >= started_at))) NOT VALID', convalidated: false });
        const [kept] = await own.ds.query(`SELECT started_at, ended_at FROM execution_attempts WHERE job_id = $1`, [BACKWARDS]);
        expect([kept.started_at, kept.ended_at].map((d: Date) => d.toISOString())).toEqual([
          '2025-09-30T15:15:05.112Z',
          '2025-09-30T15:15:02.000Z',
        ]);

        expect((await migrate(own.ds)).applied.slice(0, 2)).toEqual(['ImportedTimeOrder1796500000000', 'ImportedJobFacts1796500000001']);
        expect(await check()).toMatchObject({ convalidated: true });
        const [flag] = await own.ds.query(`SELECT imported FROM execution_attempts WHERE job_id = $1`, [BACKWARDS]);
        expect(flag).toEqual({ imported: true });
      } finally {
        await own.close();
      }
    });
  });
});
