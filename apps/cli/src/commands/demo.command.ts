import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { BeaconApiClient } from '@beacon/api-client';
import { defaultConfig, renderJobReport, type BeaconConfig } from '@beacon/domain';
import type { RunningSimulator } from '@beacon/simulator';
import type { DataSource } from 'typeorm';
import { CliError, EXIT } from '../exit-codes.js';
import { jobReport, waitForJob } from '../job-progress.js';
import { dataDir } from '../database.js';
import { reportFileName, writeReportFile } from './report.command.js';
import { note, printJson } from '../output.js';

const DEMO_SPEC = new URL('../../../../../examples/bias-detection-8x3x3.json', import.meta.url);

/** `beacon demo`: the 8 × 3 × 3 job on a throwaway database against the simulator, end to end over real HTTP. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the 8 × 3 × 3 demo job on a throwaway database against the built-in simulator, then print the result table')
    .option('--json', 'print the result as JSON')
    .option('--seed <n>', 'simulator seed', '42')
    .option('--report <file>', 'where to write the HTML report (default: reports/<job>.html under BEACON_DATA_DIR, else ./.beacon)')
    .action(async (opts: { json?: boolean; seed: string; report?: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new CliError(`--seed: must be an integer (got ${JSON.stringify(opts.seed)})`, EXIT.usage);
      const log = opts.json ? () => undefined : note;
      // The whole stack loads here, not at start-up (see program.ts).
      const [
        { createDataSource, migrate },
        { engineOptions },
        { startSimulator },
        { ReconcileService },
        { createRunnerApp },
        { renderReport },
        { newRunnerId },
      ] = await Promise.all([
        import('../lazy/db.js'),
        import('../lazy/engine.js'),
        import('../lazy/simulator.js'),
        import('../lazy/reconciler.js'),
        import('../lazy/runner.js'),
        import('../lazy/analysis.js'),
        import('../engine-settings.js'),
      ]);
      const cleanup: (() => Promise<unknown>)[] = [];
      try {
        const url = await throwawayDatabase(log, cleanup);
        const ds = createDataSource(url, { applicationName: 'beacon-demo', poolSize: 20 });
        await ds.initialize();
        cleanup.unshift(() => ds.destroy());
        await migrate(ds);
        const sim = await startSimulator({ port: 0, seed, latencyScale: 0.05 });
        cleanup.unshift(() => sim.close());
        log(
          `simulator: ${Object.keys(defaultConfig().regions)
            .map((r) => sim.baseUrlFor(r))
            .join('  ')}`,
        );
        const config = pointAt(defaultConfig(), sim);
        const app = await createRunnerApp({
          dataSource: ds,
          config,
          logger: false,
          listeners: [
            (e) => {
              if (e.type === 'error') note(`engine: ${e.where}: ${e.message}`);
            },
          ],
          engine: engineOptions({ runnerId: newRunnerId(), config, leaseMs: 10_000, pollMs: 100, rollupMs: 200 }),
        });
        await app.listen(0, '127.0.0.1');
        cleanup.unshift(() => app.close());
        const api = new BeaconApiClient(`http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`);
        const { body } = await api.submitJob(await readFile(DEMO_SPEC, 'utf8'));
        log(`submitted job ${body.id}: ${body.cells} cells (8 questions × 3 models × 3 regions)`);
        const job = await waitForJob(api, body.id, { quiet: opts.json, intervalMs: 100, timeoutMs: 300_000 });
        const report = await jobReport(api, job);
        const check = await exactlyOnce(ds, job.id);
        const reconciled = await new ReconcileService(ds).run({ scope: { jobId: job.id }, persist: false });
        const reconcilerFindings = reconciled.skipped ? null : reconciled.findings.map((f) => `${f.ruleId}: ${f.summary}`);
        const reportPath = await writeReportFile(
          opts.report ?? path.join(dataDir(), 'reports', reportFileName(job.id, 'html')),
          renderReport(await api.getAnalysis(job.id), 'html', 10),
        );
        if (opts.json) printJson({ ...report, verification: check, reconcilerFindings, reportPath });
        else {
          process.stdout.write('\n' + renderJobReport(report, { width: process.stdout.columns || 160 }));
          process.stdout.write(
            `\n${check.cells} cells, ${check.terminal} terminal, ${check.withResult} with exactly one result, ` +
              `${check.duplicateResults} duplicates, ${check.attempts} provider calls\n`,
          );
          process.stdout.write(
            `reconciler: ${reconcilerFindings === null ? 'skipped (another run held the lock)' : reconcilerFindings.length === 0 ? 'clean' : reconcilerFindings.join('; ')}\n`,
          );
          process.stdout.write(`HTML report: ${reportPath}\n`);
        }
        if (!check.ok) throw new CliError(`the demo did not run every cell exactly once: ${JSON.stringify(check)}`, EXIT.jobNotCompleted);
        if (reconcilerFindings?.length)
          throw new CliError(`the reconciler flagged the demo job: ${reconcilerFindings.join('; ')}`, EXIT.failure);
      } finally {
        for (const fn of cleanup) await fn().catch(() => undefined);
      }
    });
}

/** A fresh database: on DATABASE_URL when set, else an embedded server in a temporary directory. */
async function throwawayDatabase(log: (s: string) => void, cleanup: (() => Promise<unknown>)[]): Promise<string> {
  const { acquireDatabase, createThrowawayDatabase } = await import('../lazy/db.js');
  if (process.env.DATABASE_URL) {
    const db = await createThrowawayDatabase(process.env.DATABASE_URL, 'beacon_demo');
    cleanup.unshift(() => db.drop());
    return db.url;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-demo-'));
  await chmod(dir, 0o755); // the database server's OS user must reach it
  cleanup.unshift(() => rm(dir, { recursive: true, force: true }));
  log('starting a throwaway embedded PostgreSQL…');
  const handle = await acquireDatabase({ baseDir: dir, env: { ...process.env, DATABASE_URL: undefined } });
  cleanup.unshift(() => handle.release());
  return handle.url;
}

function pointAt(config: BeaconConfig, sim: RunningSimulator): BeaconConfig {
  for (const region of Object.values(config.regions)) region.baseUrl = sim.baseUrlFor(region.id);
  return config;
}

/** Checks from the database itself that every cell is terminal and has at most one result. */
async function exactlyOnce(ds: DataSource, jobId: string) {
  const { ReadRepository } = await import('../lazy/db.js');
  const facts = await new ReadRepository(ds).exactlyOnceFacts(jobId);
  return { ok: facts.cells > 0 && facts.terminal === facts.cells && facts.duplicateResults === 0, ...facts };
}
