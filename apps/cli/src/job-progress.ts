import type { BeaconApiClient } from '@beacon/api-client';
import {
  buildJobReport,
  finishedCells,
  isTerminalJobStatus,
  type ExecutionView,
  type JobDetailView,
  type JobReport,
  type NormalisedJobSpec,
} from '@beacon/domain';
import { clean } from './output.js';

/** Polls a job until it is finished, drawing a progress bar on stderr (a line every few seconds when not a TTY). */
export async function waitForJob(
  api: BeaconApiClient,
  jobId: string,
  opts: { quiet?: boolean; intervalMs?: number; timeoutMs?: number } = {},
): Promise<JobDetailView> {
  const started = Date.now();
  const tty = process.stderr.isTTY && !opts.quiet;
  let lastLine = 0;
  let lastInFlight = 0;
  let inFlight: ExecutionView[] = [];
  for (;;) {
    const job = await api.getJob(jobId);
    const s = job.cells.byState;
    const done = finishedCells(s);
    const line = progressLine(done, job.cells.expected, s.failed ?? 0, s.running ?? 0, job.status, Date.now() - started);
    // Which calls are in flight, and for how long, is asked for only about once a second (a listing, not the job row).
    const lineDue = !opts.quiet && Date.now() - lastLine > 5000;
    if ((s.running ?? 0) === 0) inFlight = [];
    else if ((tty && Date.now() - lastInFlight > 1000) || (!tty && lineDue)) {
      inFlight = await oldestInFlight(api, jobId);
      lastInFlight = Date.now();
    }
    if (tty) process.stderr.write(`\r${line}${inFlight[0] ? `  oldest ${inFlightCell(inFlight[0])}` : ''}\x1b[K`);
    else if (lineDue) {
      process.stderr.write(line + '\n');
      for (const e of inFlight.slice(0, IN_FLIGHT_SHOWN)) process.stderr.write(`  in flight ${inFlightCell(e)}\n`);
      const more = (s.running ?? 0) - Math.min(inFlight.length, IN_FLIGHT_SHOWN);
      if (inFlight.length > 0 && more > 0) process.stderr.write(`  … and ${more} more\n`);
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

/** How many calls in flight a non-TTY progress report lists (the oldest). */
const IN_FLIGHT_SHOWN = 5;

/** The job's running cells, oldest call first (a cell claimed but not called yet last). */
async function oldestInFlight(api: BeaconApiClient, jobId: string): Promise<ExecutionView[]> {
  const page = await api.listExecutions({ job: jobId, state: 'running', limit: 1000 });
  return [...page.items].sort((a, b) => (b.callAgeMs ?? -1) - (a.callAgeMs ?? -1));
}

/** `#123 q1 qwen2.5-1.5b eu-west for 42 s` (or `claimed, not called yet`): which cell, and how long its call has run. */
export function inFlightCell(e: ExecutionView): string {
  const age = e.callAgeMs == null ? 'claimed, not called yet' : `for ${formatAge(e.callAgeMs)}`;
  return `#${e.id} ${clean(e.questionId)} ${clean(e.modelId)} ${clean(e.region)} ${age}`;
}

/** `42 s`, `3 min 5 s`, `2 h 1 min`. */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
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
