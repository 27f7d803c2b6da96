import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobRepository } from '@beacon/db';
import { defaultConfig, normaliseJobSpec } from '@beacon/domain';
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
});
