import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import fc from 'fast-check';
import { AnalyseJobService } from '@beacon/analysis';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository, ReadRepository } from '@beacon/db';
import { defaultConfig, legacyImportRows, parseLegacyDocument } from '@beacon/domain';
import { FindingsRepository, ReconcileService } from '@beacon/reconciler';
import { createRunnerApp } from '@beacon/runner';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { close, projectAnalysis } from '../oracle/compare.js';
import { describeHistory, historyArb, legacyExport, type History } from '../oracle/history.js';
import {
  expectedAnalysis,
  expectedApi,
  expectedFindings,
  expectedLabels,
  projectFinding,
  renderPrompt,
  type ExpectedFinding,
  type OracleConfig,
} from '../oracle/oracle.js';

/**
 * Issue 15, "Make it a property": generated old-runner histories with known ground truth go through `beacon import`'s
 * path (in process, and a few through the real CLI), and every reconciler finding, every analysis figure and every API
 * count must equal what the oracle (`test/oracle/oracle.ts`) computes from the history alone.
 *
 * ORACLE_RUNS (default 200) and ORACLE_SEED (default fixed) set the run; a failure prints the seed, the shrink path
 * and the shrunk history (re-run it with `ORACLE_SEED=<seed>`).
 */
const RUNS = Number(process.env.ORACLE_RUNS ?? 200);
const SEED = Number(process.env.ORACLE_SEED ?? 15_015);

const config = defaultConfig();
const cfg: OracleConfig = {
  questionText: Object.fromEntries(Object.values(config.questions).map((q) => [q.id, q.text])),
  category: Object.fromEntries(Object.values(config.questions).map((q) => [q.id, q.category ?? 'uncategorised'])),
  regionName: Object.fromEntries(Object.values(config.regions).map((r) => [r.id, r.displayName])),
  template: config.prompt.template,
};

/** Rethrows a failed check with the history it failed on, so the shrunk counterexample reads as rows. */
async function explained(h: History, jobId: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`job ${jobId}, history:\n${describeHistory(h)}\n${message}`);
  }
}

describe('oracle harness: imported legacy histories (issue 15)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  let seq = 0;
  /** How many histories made each rule fire: the generator must reach every rule the import path can trigger. */
  const fired = new Map<string, number>();

  beforeAll(async () => {
    db = await migratedDatabase('oracle');
    app = await createRunnerApp({ dataSource: db.ds, config, logger: false });
    await app.listen(0, '127.0.0.1');
    // The daemon's scheduled reconciler would persist findings of these jobs on its own and hold the lock at times.
    await app.get(SchedulerRegistry).getCronJob('beacon-reconcile').stop();
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const get = async (p: string): Promise<any> => {
    for (;;) {
      const res = await fetch(baseUrl + p);
      // The analysis answers 503 with Retry-After while its worker computes it.
      if (res.status === 503) {
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      expect(res.status).toBe(200);
      return res.json();
    }
  };

  /** Beacon's execution id of each legacy id of the job (rows, not logic: how the oracle names Beacon's ids). */
  async function idMap(jobId: string): Promise<(legacyId: string) => string> {
    const rows: { id: string; legacy_id: string }[] = await db.ds.query(
      'SELECT id::text, legacy_id::text FROM executions WHERE job_id = $1',
      [jobId],
    );
    const map = new Map(rows.map((r) => [r.legacy_id, r.id]));
    return (legacyId) => map.get(legacyId) ?? `(no execution for legacy id ${legacyId})`;
  }

  const sortFindings = (fs: ExpectedFinding[]) => [...fs].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));

  /**
   * Every check of one imported history: findings, API counts, analysis figures. `full` (every fifth history, and the
   * CLI's) also persists the findings (so the API counts them and the analysis lists them), reads the analysis through
   * the API's worker and lists the executions by each state; the others take the faster in-process paths.
   */
  async function checkImported(h: History, jobId: string, full: boolean): Promise<void> {
    const idOf = await idMap(jobId);
    const want = expectedFindings(h, jobId, cfg, idOf);
    for (const f of want) fired.set(f.ruleId, (fired.get(f.ruleId) ?? 0) + 1);

    // Labels: Beacon's, of the text, on each succeeded row (current label and its record) and on no other row; the
    // export's own kept as a record of version `imported`, and nowhere else.
    const labels: { legacy_id: string; classification: string | null; beacon: string[]; imported: string[] }[] = await db.ds.query(
      `SELECT e.legacy_id::text, e.classification,
              coalesce(array_agg(c.label ORDER BY c.id) FILTER (WHERE c.classifier_version <> 'imported'), '{}') AS beacon,
              coalesce(array_agg(c.label ORDER BY c.id) FILTER (WHERE c.classifier_version = 'imported'), '{}') AS imported
         FROM executions e LEFT JOIN classifications c ON c.execution_id = e.id
        WHERE e.job_id = $1 GROUP BY e.id`,
      [jobId],
    );
    expect(Object.fromEntries(labels.map(({ legacy_id, ...l }) => [legacy_id, l]))).toEqual(expectedLabels(h, cfg));

    // Reconciler: every finding of every rule on this job, and nothing else.
    // Every rule on the full checks; the others skip the rules an import cannot trigger (they need attempts > 1, leases
    // or recent calls), which the full checks show find nothing.
    const run = await new ReconcileService(db.ds, { evidenceLimit: 10_000 }).run({
      scope: { jobId },
      persist: full,
      ruleIds: full ? undefined : IMPORT_RULES,
    });
    if (run.skipped) throw new Error('reconciler lock held');
    expect(run.errors).toEqual([]);
    expect(sortFindings(run.findings.map(projectFinding))).toEqual(want);

    // API counts: the job's status and cell counts, its open findings, and the executions listing by state.
    const api = expectedApi(h, cfg, want);
    const job = await get(`/api/v1/jobs/${encodeURIComponent(jobId)}`);
    expect({ status: job.status, cells: job.cells, findings: job.findings }).toEqual(
      full ? api : { ...api, findings: { open: 0, duplicates: 0 } },
    );
    // The executions listing: filtered by each state, or all of them counted by state.
    const listed: Record<string, number> = {};
    if (full) {
      for (const state of ['succeeded', 'failed', 'cancelled', 'pending']) {
        const page = await get(`/api/v1/executions?job=${encodeURIComponent(jobId)}&state=${state}&limit=1000`);
        if (page.items.length) listed[state] = page.items.length;
      }
    } else {
      const page = await get(`/api/v1/executions?job=${encodeURIComponent(jobId)}&limit=1000`);
      for (const e of page.items as { state: string }[]) listed[e.state] = (listed[e.state] ?? 0) + 1;
    }
    expect(listed).toEqual(api.cells.byState);

    // Analysis: summary, the refusal matrix with its Wilson bounds, every pair's refusals, spread and divergence, notes.
    // In process (the same analyseJob over the read repository), or through the API's worker.
    const analysis = full
      ? await get(`/api/v1/jobs/${encodeURIComponent(jobId)}/analysis`)
      : await new AnalyseJobService(new ReadRepository(db.ds), new FindingsRepository(db.ds)).execute(jobId);
    const figures = expectedAnalysis(h, cfg);
    expect(close(projectAnalysis(analysis), figures)).toEqual(figures);
    expect(analysis.dataQuality.filter((n: { source: string }) => n.source === 'reconciler').length).toBe(full ? want.length : 0);
  }

  it(`property: ${RUNS} imported histories, every finding, API count and analysis figure equals the oracle's`, async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(historyArb, async (h) => {
        const n = ++seq;
        const jobId = `oracle-${n}`;
        await explained(h, jobId, async () => {
          const doc = legacyExport(h, jobId, 50_000 + n, (r) => renderPrompt(cfg, r));
          const stored = await new LegacyImportRepository(db.ds, classifyResponse).store(
            legacyImportRows(parseLegacyDocument(doc), config),
          );
          expect(stored).toEqual({ jobId, jobCreated: true, imported: h.rows.length, alreadyPresent: 0 });
          await checkImported(h, jobId, n % 5 === 0);
        });
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );

    console.log(
      `oracle-import: ${RUNS} histories (seed ${SEED}) in ${Date.now() - started} ms; findings by rule: ` +
        JSON.stringify(Object.fromEntries([...fired].sort())),
    );
    if (RUNS >= 100) expect([...fired.keys()].sort()).toEqual(IMPORT_RULES);
  }, 600_000);

  it('a few histories through the real CLI: `beacon import` then `beacon reconcile --json` agree with the oracle', async () => {
    requireBuild();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'beacon-oracle-'));
    const env = cliEnv({ DATABASE_URL: db.url });
    await fc.assert(
      fc.asyncProperty(historyArb, async (h) => {
        const n = ++seq;
        const jobId = `oracle-cli-${n}`;
        await explained(h, jobId, async () => {
          const file = path.join(tmp, `${jobId}.json`);
          writeFileSync(file, JSON.stringify(legacyExport(h, jobId, 50_000 + n, (r) => renderPrompt(cfg, r))));
          const imported = await runCli(['import', file, '--json'], { env });
          expect(imported.code).toBe(0);
          expect(JSON.parse(imported.stdout).files).toEqual([expect.objectContaining({ jobId, imported: h.rows.length })]);
          const rec = await runCli(['reconcile', '--json', '--job', jobId, '--fail-on', 'critical'], { env });
          const got = (JSON.parse(rec.stdout) as { findings: { ruleId: string; fingerprint: string; evidence: Record<string, unknown> }[] })
            .findings;
          const want = expectedFindings(h, jobId, cfg, await idMap(jobId));
          expect(sortFindings(got.map(projectFinding))).toEqual(want);
          expect(rec.code).toBe(want.some((f) => CRITICAL.has(f.ruleId)) ? 1 : 0);
          await checkImported(h, jobId, true);
        });
      }),
      { numRuns: Number(process.env.ORACLE_CLI_RUNS ?? 2), seed: SEED + 1 },
    );
  }, 300_000);
});

/** The rules an import can trigger (the others need attempts > 1, leases or recent calls: the engine's runs). */
const IMPORT_RULES = [
  'batch_mode',
  'duplicate_cell',
  'identical_responses',
  'impossible_times',
  'job_status_inconsistent',
  'missing_cells',
  'out_of_spec',
  'prompt_drift',
  'region_failing_wholesale',
  'retry_burst_after_silence',
  'work_after_job_end',
];

/** Rules of severity critical (the CLI's `--fail-on critical` exits 1 on them). */
const CRITICAL = new Set(['duplicate_results', 'duplicate_cell', 'missing_cells', 'out_of_spec', 'impossible_times']);
