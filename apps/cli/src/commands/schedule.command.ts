import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import {
  MAX_CATCH_UP,
  MAX_KEEP,
  OVERLAP_POLICIES,
  parseEvery,
  parseStrictJson,
  SCHEDULE_NAME_PATTERN,
  type ScheduleTickView,
  type ScheduleView,
  tickSource,
} from '@beacon/domain';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { clean, formatTable, printJson, tableWidth } from '../output.js';

const cadenceText = (s: ScheduleView) => (s.cadence.kind === 'every' ? `every ${s.cadence.every}` : `cron ${s.cadence.expression}`);
const retentionText = (s: ScheduleView) =>
  [s.keepRuns !== null ? `${s.keepRuns} runs` : '', s.keepDays !== null ? `${s.keepDays} days` : ''].filter(Boolean).join(', ') || '-';

const scheduleColumns = [
  { header: 'NAME', value: (s: ScheduleView) => s.name },
  { header: 'CADENCE', value: cadenceText },
  { header: 'STATE', value: (s: ScheduleView) => (s.paused ? 'paused' : 'active') },
  { header: 'NEXT RUN', value: (s: ScheduleView) => s.nextRunAt ?? '-' },
  { header: 'RUNS', value: (s: ScheduleView) => String(s.runs), align: 'right' as const },
  { header: 'LAST RUN', value: (s: ScheduleView) => (s.lastRun ? `${s.lastRun.jobId} (${s.lastRun.status})` : '-'), flex: true },
  { header: 'OVERLAP', value: (s: ScheduleView) => s.overlap },
  { header: 'CATCH-UP', value: (s: ScheduleView) => String(s.catchUp), align: 'right' as const },
  { header: 'KEEP', value: retentionText },
];

const tickColumns = [
  { header: 'TICK', value: (t: ScheduleTickView) => t.tick },
  { header: 'OUTCOME', value: (t: ScheduleTickView) => (t.manual ? `${t.outcome} (manual)` : t.outcome) },
  { header: 'JOB', value: (t: ScheduleTickView) => t.jobId ?? '-' },
  { header: 'RUN', value: (t: ScheduleTickView) => (t.run === null ? '-' : String(t.run)), align: 'right' as const },
  {
    header: 'NOTE',
    value: (t: ScheduleTickView) =>
      t.outcome === 'missed' ? `${t.missedCount}${t.missedExact ? '' : '+'} ticks missed, through ${t.missedUntil}` : '',
    flex: true,
  },
  { header: 'FIRED AT', value: (t: ScheduleTickView) => t.firedAt },
  { header: 'DAEMON', value: (t: ScheduleTickView) => t.daemon ?? '-' },
];

function integer(flag: string, raw: string, min: number, max: number, allowNone = false): number | null {
  if (allowNone && raw === 'none') return null;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new CliError(
      `${flag}: must be an integer from ${min} to ${max}${allowNone ? ', or none' : ''} (got ${JSON.stringify(raw)})`,
      EXIT.usage,
    );
  }
  return n;
}

function overlapOf(raw: string): string {
  if (!(OVERLAP_POLICIES as readonly string[]).includes(raw)) {
    throw new CliError(`--overlap: must be one of ${OVERLAP_POLICIES.join(', ')} (got ${JSON.stringify(raw)})`, EXIT.usage);
  }
  return raw;
}

function checkName(raw: string, flag = 'name'): string {
  if (!SCHEDULE_NAME_PATTERN.test(raw))
    throw new CliError(`${flag}: must match ${SCHEDULE_NAME_PATTERN.source} (got ${JSON.stringify(raw)})`, EXIT.usage);
  return raw;
}

/** The spec file, parsed; its `id`, if any, is taken out (each run is `<name>-<run>`) and returned apart. */
async function readSpecFile(file: string): Promise<{ spec: Record<string, unknown>; id: string | null }> {
  let text: string;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.usage);
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) throw new CliError(`${file}: not a JSON job spec: ${parsed.error.message}`, EXIT.usage);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CliError(`${file}: a job spec must be a JSON object`, EXIT.usage);
  const { id, ...spec } = value as Record<string, unknown>;
  return { spec, id: typeof id === 'string' ? id : null };
}

interface AddOptions {
  every?: string;
  cron?: string;
  name?: string;
  overlap?: string;
  catchUp?: string;
  keepRuns?: string;
  keepDays?: string;
  json?: boolean;
}

/** `beacon schedule add|list|show|update|pause|resume|remove|run-now`. */
export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('fire a job spec on a cadence: every N or a cron expression (UTC)');

  schedule
    .command('add')
    .description('create a schedule from a job spec file; each run is the job <name>-<run>')
    .argument('<spec>', 'job spec JSON file (- for stdin); an id in it becomes the default name')
    .option('--every <duration>', 'fire every duration, such as 10s, 6h or 1h30m (at least 1s; ticks at whole multiples since the epoch)')
    .option('--cron <expression>', 'fire on a cron expression in UTC, such as "0 */6 * * *" (5 fields, or 6 with seconds first)')
    .option('--name <name>', 'schedule name (default: the spec id, else the file name)')
    .option('--overlap <policy>', 'while the last run is unfinished: skip the tick (recorded) or queue a run behind it', 'skip')
    .option('--catch-up <n>', `missed ticks fired when a daemon comes back, 0 to ${MAX_CATCH_UP}`, '1')
    .option('--keep-runs <n>', 'retention: keep the latest n runs')
    .option('--keep-days <d>', 'retention: keep runs younger than d days')
    .option('--json', 'print the schedule as JSON')
    .action(async (file: string, opts: AddOptions) => {
      if ((opts.every === undefined) === (opts.cron === undefined)) {
        throw new CliError('--every / --cron: give exactly one (e.g. --every 6h or --cron "0 */6 * * *")', EXIT.usage);
      }
      if (opts.every !== undefined) {
        const every = parseEvery(opts.every);
        if (!every.ok) throw new CliError(`--every: ${every.problem}`, EXIT.usage);
      }
      if (opts.cron !== undefined) {
        const cron = tickSource({ kind: 'cron', expression: opts.cron });
        if (!cron.ok) throw new CliError(`--cron: ${cron.problem}`, EXIT.usage);
      }
      const { spec, id } = await readSpecFile(file);
      const fallback = file === '-' ? null : path.basename(file).replace(/\.[^.]*$/, '');
      const name = opts.name ?? id ?? fallback;
      if (!name) throw new CliError('--name: required when the spec comes from stdin without an id', EXIT.usage);
      const body: Record<string, unknown> = {
        name: checkName(name, opts.name !== undefined ? '--name' : 'name (from the spec id or file name; set --name)'),
        spec,
        ...(opts.every !== undefined ? { every: opts.every } : { cron: opts.cron }),
        overlap: overlapOf(opts.overlap ?? 'skip'),
        catchUp: integer('--catch-up', opts.catchUp ?? '1', 0, MAX_CATCH_UP),
      };
      if (opts.keepRuns !== undefined) body.keepRuns = integer('--keep-runs', opts.keepRuns, 1, MAX_KEEP);
      if (opts.keepDays !== undefined) body.keepDays = integer('--keep-days', opts.keepDays, 1, MAX_KEEP);
      const s = await apiClient().createSchedule(body);
      if (opts.json) return printJson(s);
      process.stdout.write(`schedule ${s.name}: ${cadenceText(s)}, ${s.cells} cells per run, first run at ${s.nextRunAt}\n`);
    });

  schedule
    .command('list')
    .description('list schedules')
    .option('--json', 'print as JSON: {items, nextCursor}')
    .option('--wide', 'every value whole, however wide the table')
    .action(async (opts: { json?: boolean; wide?: boolean }) => {
      const page = await apiClient().listSchedules();
      if (opts.json) return printJson(page);
      process.stdout.write(
        page.items.length ? formatTable(page.items, scheduleColumns, { width: tableWidth(opts.wide) }) : 'no schedules\n',
      );
    });

  schedule
    .command('show')
    .description('show a schedule and its recent ticks (outcome and job of each)')
    .argument('<name>', 'schedule name')
    .option('--ticks <n>', 'how many recent ticks, 1 to 500', '20')
    .option('--json', 'print as JSON')
    .option('--wide', 'every value whole, however wide the table')
    .action(async (name: string, opts: { ticks: string; json?: boolean; wide?: boolean }) => {
      const s = await apiClient().getSchedule(checkName(name), integer('--ticks', opts.ticks, 1, 500)!);
      if (opts.json) return printJson(s);
      process.stdout.write(
        [
          `schedule   ${s.name}`,
          `cadence    ${cadenceText(s)}${s.cadence.kind === 'cron' ? ' (UTC)' : ''}`,
          `state      ${s.paused ? 'paused' : 'active'}`,
          `next run   ${s.nextRunAt ?? '-'}`,
          `runs       ${s.runs}${s.lastRun ? `, last ${s.lastRun.jobId} (${s.lastRun.status})` : ''}`,
          `overlap    ${s.overlap}`,
          `catch-up   ${s.catchUp}`,
          `keep       ${retentionText(s)}`,
          `cells      ${s.cells} per run`,
          `created    ${s.createdAt}${s.createdBy ? ` by ${clean(s.createdBy)}` : ''}`,
        ].join('\n') + '\n\n',
      );
      process.stdout.write(s.ticks.length ? formatTable(s.ticks, tickColumns, { width: tableWidth(opts.wide) }) : 'no ticks yet\n');
    });

  schedule
    .command('update')
    .description('change a schedule\'s overlap, catch-up or retention settings ("none" clears a retention limit)')
    .argument('<name>', 'schedule name')
    .option('--overlap <policy>', 'skip or queue')
    .option('--catch-up <n>', `0 to ${MAX_CATCH_UP}`)
    .option('--keep-runs <n>', 'keep the latest n runs, or none')
    .option('--keep-days <d>', 'keep runs younger than d days, or none')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { overlap?: string; catchUp?: string; keepRuns?: string; keepDays?: string; json?: boolean }) => {
      const body: Record<string, unknown> = {};
      if (opts.overlap !== undefined) body.overlap = overlapOf(opts.overlap);
      if (opts.catchUp !== undefined) body.catchUp = integer('--catch-up', opts.catchUp, 0, MAX_CATCH_UP);
      if (opts.keepRuns !== undefined) body.keepRuns = integer('--keep-runs', opts.keepRuns, 1, MAX_KEEP, true);
      if (opts.keepDays !== undefined) body.keepDays = integer('--keep-days', opts.keepDays, 1, MAX_KEEP, true);
      if (Object.keys(body).length === 0)
        throw new CliError('give at least one of --overlap, --catch-up, --keep-runs, --keep-days', EXIT.usage);
      const s = await apiClient().updateSchedule(checkName(name), body);
      if (opts.json) return printJson(s);
      process.stdout.write(`schedule ${s.name}: overlap ${s.overlap}, catch-up ${s.catchUp}, keep ${retentionText(s)}\n`);
    });

  for (const action of ['pause', 'resume'] as const) {
    schedule
      .command(action)
      .description(action === 'pause' ? 'stop firing (ticks while paused are not owed)' : 'fire again from the next tick after now')
      .argument('<name>', 'schedule name')
      .option('--json', 'print as JSON')
      .action(async (name: string, opts: { json?: boolean }) => {
        const s = await apiClient().scheduleAction(checkName(name), action);
        if (opts.json) return printJson(s);
        process.stdout.write(`schedule ${s.name}: ${s.paused ? 'paused' : `active, next run at ${s.nextRunAt}`}\n`);
      });
  }

  schedule
    .command('remove')
    .description('remove a schedule and its tick history; its jobs stay')
    .argument('<name>', 'schedule name')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const r = await apiClient().removeSchedule(checkName(name));
      if (opts.json) return printJson(r);
      process.stdout.write(`schedule ${r.name} removed\n`);
    });

  schedule
    .command('run-now')
    .description('fire a manual run now, whatever the cadence and the overlap policy')
    .argument('<name>', 'schedule name')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const r = await apiClient().runScheduleNow(checkName(name));
      if (opts.json) return printJson(r);
      process.stdout.write(`schedule ${r.name}: run ${r.tick.run} is job ${r.tick.jobId}\n`);
    });
}
