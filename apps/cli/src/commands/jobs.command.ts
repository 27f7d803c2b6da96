import type { Command } from 'commander';
import { type ExecutionView, type JobSummaryView, type Page, variantLabel } from '@beacon/domain';
import { apiClient } from '../context.js';
import { confirm } from '../confirm.js';
import { CliError, EXIT } from '../exit-codes.js';
import { clean, examples, formatTable, note, printJson, tableWidth } from '../output.js';

const jobColumns = [
  { header: 'JOB', value: (j: JobSummaryView) => j.id, flex: true },
  { header: 'STATUS', value: (j: JobSummaryView) => j.status },
  { header: 'CELLS', value: (j: JobSummaryView) => `${j.cells.actual}/${j.cells.expected}`, align: 'right' as const },
  { header: 'DONE', value: (j: JobSummaryView) => String(terminal(j)), align: 'right' as const },
  { header: 'FAILED', value: (j: JobSummaryView) => String(j.cells.byState.failed ?? 0), align: 'right' as const },
  { header: 'CREATED', value: (j: JobSummaryView) => j.createdAt },
];

const executionColumns = [
  { header: 'ID', value: (e: ExecutionView) => e.id, align: 'right' as const },
  { header: 'QUESTION', value: (e: ExecutionView) => e.questionId, flex: true },
  { header: 'MODEL', value: (e: ExecutionView) => e.modelId },
  { header: 'REGION', value: (e: ExecutionView) => e.region },
  { header: 'VARIANT', value: (e: ExecutionView) => variantLabel(e.variant) },
  { header: 'REP', value: (e: ExecutionView) => String(e.replicate), align: 'right' as const },
  { header: 'STATE', value: (e: ExecutionView) => e.state },
  { header: 'ATTEMPTS', value: (e: ExecutionView) => String(e.attempts), align: 'right' as const },
  { header: 'LABEL', value: (e: ExecutionView) => e.classification ?? '-' },
];

/** `beacon jobs`, `beacon job ID` and `beacon executions --job ID`. */
export function registerJobReads(program: Command): void {
  program
    .command('jobs')
    .description('list jobs, newest first')
    .option('--limit <n>', 'how many', '50')
    .option('--cursor <cursor>', 'the page after this one: the nextCursor of the previous page')
    .option('--json', 'print as JSON: {items, nextCursor}')
    .option('--wide', 'every value whole, however wide the table')
    .addHelpText('after', examples(['beacon jobs --limit 20', 'beacon jobs --limit 20 --cursor 1841 --json']))
    .action(async (opts: { limit: string; cursor?: string; json?: boolean; wide?: boolean }) => {
      const page = await apiClient().listJobs(positive('limit', opts.limit), opts.cursor);
      if (opts.json) return printJson(page);
      process.stdout.write(page.items.length ? formatTable(page.items, jobColumns, { width: tableWidth(opts.wide) }) : 'no jobs\n');
      if (page.nextCursor) note(`more: beacon jobs --limit ${opts.limit} --cursor ${page.nextCursor}`);
    });

  program
    .command('job')
    .description('show one job: status, cell counts by state, spec')
    .argument('<id>', 'job id')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const job = await apiClient().getJob(id);
      if (opts.json) return printJson(job);
      const states =
        Object.entries(job.cells.byState)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ') || 'none';
      process.stdout.write(
        [
          `job        ${job.id}`,
          `status     ${job.status}`,
          `format     ${job.format}`,
          `benchmark  ${clean(job.benchmark)}`,
          `cells      ${job.cells.actual} planned of ${job.cells.expected} expected (${states})`,
          // Cells parked by a backoff, an upstream's Retry-After or an open breaker (a daemon before this field has none).
          job.waiting?.cells
            ? `waiting    ${job.waiting.cells} not due yet, next at ${job.waiting.nextAt}, last at ${job.waiting.lastAt}`
            : '',
          `created    ${job.createdAt}`,
          job.finishedAt ? `finished   ${job.finishedAt}` : '',
        ]
          .filter(Boolean)
          .join('\n') + '\n',
      );
    });

  program
    .command('cancel')
    .description('cancel a job: pending cells at once, running calls at their next heartbeat')
    .argument('<id>', 'job id')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { yes?: boolean; json?: boolean }) => {
      await confirm(`cancel job ${id}`, opts.yes);
      const r = await apiClient().cancelJob(id);
      if (opts.json) return printJson(r);
      process.stdout.write(
        r.alreadyFinished
          ? `job ${id} had already finished (${r.status})\n`
          : `job ${id}: ${r.status}; ${r.pendingCancelled} pending cell(s) cancelled, ${r.running} running call(s) being stopped\n`,
      );
    });

  program
    .command('executions')
    .description('list the executions (cells) of a job, in planning order')
    .requiredOption('--job <id>', 'job id')
    .option('--region <region>', 'only this region')
    .option('--model <model>', 'only this model')
    .option('--question <id>', 'only this question')
    .option('--variant <id>', 'only this variant (lang=zh-Hans, prompt=native, lang=zh-Hans;prompt=native, or default)')
    .option('--state <state>', 'only this state (pending, running, succeeded, failed, cancelled)')
    .option('--never-run', 'only cells without any attempt: not run yet, or ended (cancelled, failed) without a call')
    .option('--limit <n>', 'at most this many (default: all)')
    .option('--cursor <cursor>', 'start after this one: the nextCursor of the previous page')
    .option('--json', 'print as JSON: {items, nextCursor}')
    .option('--wide', 'every value whole, however wide the table')
    .addHelpText(
      'after',
      examples([
        'beacon executions --job nightly-42 --state failed',
        'beacon executions --job nightly-42 --never-run --state cancelled',
        'beacon executions --job nightly-42 --limit 100 --json | jq .nextCursor',
      ]),
    )
    .action(async (opts: ExecutionsOptions) => {
      const page = await executionsPage(opts);
      if (opts.json) return printJson(page);
      const table = formatTable(page.items, executionColumns, { width: tableWidth(opts.wide) });
      process.stdout.write(page.items.length ? table : 'no executions match\n');
      if (page.nextCursor) note(`more: add --cursor ${page.nextCursor}`);
    });
}

interface ExecutionsOptions {
  job: string;
  region?: string;
  model?: string;
  question?: string;
  variant?: string;
  state?: string;
  neverRun?: boolean;
  limit?: string;
  cursor?: string;
  json?: boolean;
  wide?: boolean;
}

/** The API's largest page of executions. */
const MAX_EXECUTIONS_PAGE = 1000;

/**
 * Up to `--limit` executions (all without it) from `--cursor` on, read page by page, each page asked for no more
 * than is still wanted, so the last page's nextCursor is exactly where the next invocation starts.
 */
async function executionsPage(opts: ExecutionsOptions): Promise<Page<ExecutionView>> {
  const max = opts.limit ? positive('limit', opts.limit) : Infinity;
  const api = apiClient();
  const items: ExecutionView[] = [];
  let cursor: string | undefined = opts.cursor;
  for (;;) {
    const want = Math.min(MAX_EXECUTIONS_PAGE, max - items.length);
    const filter = {
      job: opts.job,
      region: opts.region,
      model: opts.model,
      question: opts.question,
      variant: opts.variant,
      state: opts.state,
      neverRun: opts.neverRun,
    };
    const page = await api.listExecutions({ ...filter, limit: want, cursor });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    if (!cursor || items.length >= max) return { items, nextCursor: cursor ?? null };
  }
}

function terminal(j: JobSummaryView): number {
  const s = j.cells.byState;
  return (s.succeeded ?? 0) + (s.failed ?? 0) + (s.cancelled ?? 0);
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${name}: must be a positive integer (got ${JSON.stringify(raw)})`, EXIT.usage);
  return n;
}
