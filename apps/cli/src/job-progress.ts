import type { BeaconApiClient } from '@beacon/api-client';
import {
  buildJobReport,
  finishedCells,
  isTerminalJobStatus,
  type JobDetailView,
  type JobReport,
  type NormalisedJobSpec,
} from '@beacon/domain';

/** Polls a job until it is finished, drawing a progress bar on stderr (a line every few seconds when not a TTY). */
export async function waitForJob(
  api: BeaconApiClient,
  jobId: string,
  opts: { quiet?: boolean; intervalMs?: number; timeoutMs?: number } = {},
): Promise<JobDetailView> {
  const started = Date.now();
  const tty = process.stderr.isTTY && !opts.quiet;
  let lastLine = 0;
  for (;;) {
    const job = await api.getJob(jobId);
    const s = job.cells.byState;
    const done = finishedCells(s);
    const line = progressLine(done, job.cells.expected, s.failed ?? 0, s.running ?? 0, job.status, Date.now() - started);
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (!opts.quiet && Date.now() - lastLine > 5000) {
      process.stderr.write(line + '\n');
      lastLine = Date.now();
    }
    if (isTerminalJobStatus(job.status)) {
      if (tty) process.stderr.write('\n');
      else if (!opts.quiet) process.stderr.write(line + '\n');
      return job;
    }
    if (opts.timeoutMs && Date.now() - started > opts.timeoutMs) throw new Error(`job ${jobId} not finished after ${opts.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

/** `[########------------]  40/72 cells  38%  running 8  failed 0  3.1 s  running` */
export function progressLine(done: number, total: number, failed: number, running: number, status: string, elapsedMs: number): string {
  const width = 24;
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  const pct = total > 0 ? Math.floor((done / total) * 100) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total} cells ${String(pct).padStart(3)}%  running ${running}  failed ${failed}  ${(elapsedMs / 1000).toFixed(1)} s  ${status}`;
}

/** Fetches every cell of a finished job and builds the questions × (model, region) report. */
export async function jobReport(api: BeaconApiClient, job: JobDetailView): Promise<JobReport> {
  const spec = job.spec as NormalisedJobSpec;
  const cells = [];
  for await (const e of api.allExecutions({ job: job.id, limit: 1000 })) {
    cells.push({
      questionId: e.questionId,
      modelId: e.modelId,
      region: e.region,
      variant: e.variant,
      replicate: e.replicate,
      state: e.state,
      label: e.classification,
      attempts: e.attempts,
    });
  }
  return buildJobReport({
    jobId: job.id,
    status: job.status,
    questionOrder: spec.questions.map((q) => q.id),
    modelOrder: spec.models.map((m) => m.id),
    regionOrder: spec.regions.map((r) => r.id),
    ...(spec.variants ? { variantOrder: spec.variants.map((v) => v.id) } : {}),
    cells,
  });
}
