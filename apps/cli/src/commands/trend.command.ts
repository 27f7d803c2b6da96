import type { Command } from 'commander';
import { ApiRequestError, type BeaconApiClient, type TrendQuery } from '@beacon/api-client';
import { sparkline, trendCells, type TrendCell, type TrendSeries } from '@beacon/domain';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable, printJson, tableWidth } from '../output.js';

/** Runs shown in a sparkline; older ones are left out (marked `…`), the JSON has them all. */
const SPARK_RUNS = 60;

/**
 * The series of one argument: a schedule's runs when it names a schedule with runs, else the job of that id (a
 * series of one run). Several arguments are jobs.
 */
async function seriesOf(api: BeaconApiClient, ids: string[], question: string | undefined, last: number | undefined): Promise<TrendSeries> {
  if (ids.length === 1) {
    try {
      return await api.getTrends({ schedule: ids[0]!, last, question });
    } catch (err) {
      // A schedule without runs is a 404 naming the schedule; then the argument may be a job.
      if (!(err instanceof ApiRequestError && err.status === 404) || last !== undefined) throw err;
    }
  }
  const q: TrendQuery = { jobs: ids, question };
  return api.getTrends(q);
}

/** `beacon trend SCHEDULE|JOB…`: labels, refusal rates and answer similarity of each cell across runs. */
export function registerTrend(program: Command): void {
  program
    .command('trend')
    .description('per question, model and region: refusal rate across runs (a sparkline), last label, label flips, answer similarity')
    .argument('<schedule-or-jobs...>', 'a schedule id (its runs), or job ids of the same spec (questions, models, regions)')
    .option('--question <id>', 'only this question')
    .option('--last <n>', 'with a schedule: only its newest N runs (at most 1000)')
    .option('--json', 'print the series (runs and points) as JSON')
    .option('--wide', 'every value whole, however wide the table')
    .action(async (ids: string[], opts: { question?: string; last?: string; json?: boolean; wide?: boolean }) => {
      let last: number | undefined;
      if (opts.last !== undefined) {
        if (!/^\d{1,4}$/.test(opts.last) || Number(opts.last) < 1 || Number(opts.last) > 1000)
          throw new CliError('--last must be an integer from 1 to 1000', EXIT.usage);
        if (ids.length > 1) throw new CliError('--last applies to a schedule: give one schedule id', EXIT.usage);
        last = Number(opts.last);
      }
      const series = await seriesOf(apiClient(), ids, opts.question, last);
      if (opts.json) printJson(series);
      else process.stdout.write(trendText(series, tableWidth(opts.wide)));
    });
}

/** The human form: which runs, then one row per cell. */
export function trendText(series: TrendSeries, width: number | null = null): string {
  const cells = trendCells(series);
  const n = series.runs.length;
  const first = series.runs[0];
  const latest = series.runs[n - 1];
  const what = series.source.kind === 'schedule' ? `schedule ${series.source.scheduleId}` : `${series.source.jobIds.length} job(s)`;
  const head =
    first && latest
      ? `${what}: ${n} run${n === 1 ? '' : 's'}, ${first.jobId} (${first.createdAt}) … ${latest.jobId} (${latest.createdAt})\n`
      : `${what}: no runs\n`;
  const shown = Math.min(n, SPARK_RUNS);
  const spark = (c: TrendCell) => (n > shown ? '…' : '') + sparkline(c.rates.slice(n - shown));
  const table = formatTable(
    cells,
    [
      { header: 'QUESTION', value: (c) => c.questionId, flex: true },
      { header: 'MODEL', value: (c) => c.model },
      { header: 'REGION', value: (c) => c.region },
      { header: `REFUSAL RATE (${shown === n ? 'all runs' : `last ${shown}`})`, value: spark },
      { header: 'LAST', value: (c) => `${c.lastLabel ?? '-'}${c.rates[n - 1] == null ? '' : ` ${Math.round(c.rates[n - 1]! * 100)}%`}` },
      { header: 'FLIPS', value: (c) => String(c.flips), align: 'right' },
      { header: 'SIMILARITY', value: (c) => (c.lastSimilarity === null ? '-' : c.lastSimilarity.toFixed(2)), align: 'right' },
    ],
    { width },
  );
  const flips = cells.reduce((a, c) => a + c.flips, 0);
  return `${head}${table}${cells.length} cell(s), ${flips} label flip(s); refusal rate = refused / responses per run (▁ 0 … █ 1, · no response)\n`;
}

/** `beacon prune JOB…`: deletes finished jobs, keeping their trend summaries. */
export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description(
      'delete finished jobs (their cells and attempts), keeping their trend summaries; active jobs are never deleted (operator role)',
    )
    .argument('<jobs...>', 'job ids')
    .option('--older-than <duration>', 'only jobs that finished longer ago than this (e.g. 30d, 12h)')
    .option('--dry-run', 'say what would be deleted and delete nothing')
    .option('--json', 'print the outcome as JSON')
    .action(async (jobs: string[], opts: { olderThan?: string; dryRun?: boolean; json?: boolean }) => {
      const { parseDuration } = await import('../lazy/reconciler.js');
      if (opts.olderThan !== undefined && parseDuration(opts.olderThan) === null)
        throw new CliError('--older-than must be a duration such as 30d, 12h or 90m', EXIT.usage);
      const out = await apiClient().prune({ jobs, olderThan: opts.olderThan, dryRun: opts.dryRun ?? false });
      if (opts.json) return printJson(out);
      const verb = out.dryRun ? 'would delete' : 'deleted';
      process.stdout.write(`${verb} ${out.pruned.length} job(s) and ${out.executions} execution(s); trend summaries kept\n`);
      for (const id of out.pruned) process.stdout.write(`  ${out.dryRun ? 'would prune' : 'pruned'}  ${id}\n`);
      const why = { active: 'still queued or running', unknown: 'no such job', too_recent: 'finished too recently' } as const;
      for (const s of out.skipped) process.stdout.write(`  skipped ${s.jobId}: ${why[s.reason]}\n`);
    });
}
