import type { Command } from 'commander';
import { ENGINE_LIMITS, type DaemonView, type KeyControlView } from '@beacon/domain';
import { apiClient } from '../context.js';
import { confirm } from '../confirm.js';
import { CliError, EXIT } from '../exit-codes.js';
import { clean, examples, formatTable, printJson, tableWidth } from '../output.js';

/** Options of the commands that change something. */
interface ChangeOptions {
  yes?: boolean;
  json?: boolean;
}

/** `--region R --model M`: both or neither. */
interface KeyOptions extends ChangeOptions {
  region?: string;
  model?: string;
}

/**
 * Operator controls (operator token): `beacon retry`, `beacon pause` / `beacon resume` (a job, or a region and model),
 * `beacon concurrency`, `beacon controls`, `beacon daemons`, `beacon drain`. Each change asks first unless `--yes`.
 */
export function registerControls(program: Command): void {
  program
    .command('retry')
    .description('re-run the failed cells of a job, each with a fresh attempt budget; earlier attempts are kept')
    .argument('<job>', 'job id')
    .option('--failed', 'every failed cell of the job (the default)')
    .option('--cells <ids>', 'only these cells (execution ids, comma separated) that failed')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the API answer as JSON')
    .addHelpText('after', examples(['beacon retry nightly-42 --failed', 'beacon retry nightly-42 --cells 1812,1815 --yes --json']))
    .action(async (job: string, opts: ChangeOptions & { failed?: boolean; cells?: string }) => {
      if (opts.failed && opts.cells !== undefined) throw new CliError('give --failed or --cells, not both', EXIT.usage);
      const cells = opts.cells === undefined ? null : cellIds(opts.cells);
      await confirm(`re-run ${cells ? `${cells.length} cell(s)` : 'every failed cell'} of job ${job}`, opts.yes);
      const r = await apiClient().retryJob(job, cells);
      if (opts.json) return printJson(r);
      process.stdout.write(`job ${job}: ${r.retried} failed cell(s) queued again, job ${r.previousStatus} → ${r.status}\n`);
    });

  for (const paused of [true, false]) {
    const verb = paused ? 'pause' : 'resume';
    program
      .command(verb)
      .description(
        paused
          ? 'pause a job, or a region and model on every daemon: nothing more is claimed; calls in flight finish'
          : 'resume a paused job, or a paused region and model',
      )
      .argument('[job]', 'job id (or give --region and --model)')
      .option('--region <region>', 'the region of the (region, model) to ' + verb)
      .option('--model <model>', 'the model of the (region, model) to ' + verb)
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--json', 'print the API answer as JSON')
      .addHelpText('after', examples([`beacon ${verb} nightly-42`, `beacon ${verb} --region eu-west --model qwen2.5-1.5b --yes`]))
      .action(async (job: string | undefined, opts: KeyOptions) => {
        const key = keyOf(opts, job === undefined);
        const api = apiClient();
        if (key) {
          if (paused) await confirm(`pause ${key.model} in ${key.region} on every daemon`, opts.yes);
          const r = await api.setKeyPaused(key.region, key.model, paused);
          if (opts.json) return printJson(r);
          process.stdout.write(`${key.model} in ${key.region}: ${r.paused ? 'paused' : 'running'}\n`);
          return;
        }
        if (paused) await confirm(`pause job ${job}`, opts.yes);
        const r = await api.setJobPaused(job!, paused);
        if (opts.json) return printJson(r);
        const state = r.paused ? `paused since ${r.pausedAt} by ${clean(r.pausedBy ?? '?')}` : 'not paused';
        process.stdout.write(`job ${job} (${r.status}): ${state}${r.changed ? '' : ' (unchanged)'}\n`);
      });
  }

  program
    .command('concurrency')
    .description(
      "set a region and model's calls in flight across all daemons, up or down, at run time (off: back to the region's concurrency)",
    )
    .requiredOption('--region <region>', 'region')
    .requiredOption('--model <model>', 'model')
    .argument('<n>', `calls in flight across all daemons, 0 to ${ENGINE_LIMITS.maxKeyConcurrency}, or off`)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the API answer as JSON')
    .addHelpText(
      'after',
      examples([
        'beacon concurrency --region eu-west --model qwen2.5-1.5b 2',
        'beacon concurrency --region eu-west --model qwen2.5-1.5b off --yes',
      ]),
    )
    .action(async (raw: string, opts: KeyOptions) => {
      const n = raw === 'off' ? null : /^\d{1,5}$/.test(raw) && Number(raw) <= ENGINE_LIMITS.maxKeyConcurrency ? Number(raw) : undefined;
      if (n === undefined)
        throw new CliError(
          `<n>: must be a whole number from 0 to ${ENGINE_LIMITS.maxKeyConcurrency}, or off (got ${JSON.stringify(raw)})`,
          EXIT.usage,
        );
      await confirm(`set the concurrency of ${opts.model} in ${opts.region} to ${n ?? "the region's"}`, opts.yes);
      const r = await apiClient().setKeyConcurrency(opts.region!, opts.model!, n);
      if (opts.json) return printJson(r);
      process.stdout.write(`${opts.model} in ${opts.region}: concurrency ${r.concurrency ?? "the region's"} across all daemons\n`);
    });

  program
    .command('controls')
    .description('the regions and models an operator paused or gave a concurrency override')
    .option('--json', 'print as JSON: {items, nextCursor}')
    .option('--wide', 'every value whole, however wide the table')
    .addHelpText('after', examples(['beacon controls', 'beacon controls --json']))
    .action(async (opts: { json?: boolean; wide?: boolean }) => {
      const page = await apiClient().keyControls();
      if (opts.json) return printJson(page);
      process.stdout.write(
        page.items.length
          ? formatTable(page.items, keyColumns, { width: tableWidth(opts.wide) })
          : 'no region or model is paused or overridden\n',
      );
    });

  program
    .command('daemons')
    .description('the daemons on this database: started, last heartbeat, draining, cells held per region and model')
    .option('--json', 'print as JSON: {items, nextCursor}')
    .option('--wide', 'every value whole, however wide the table')
    .addHelpText('after', examples(['beacon daemons', 'beacon daemons --json']))
    .action(async (opts: { json?: boolean; wide?: boolean }) => {
      const page = await apiClient().daemons();
      if (opts.json) return printJson(page);
      process.stdout.write(
        page.items.length ? formatTable(page.items, daemonColumns, { width: tableWidth(opts.wide) }) : 'no daemon has registered\n',
      );
    });

  program
    .command('drain')
    .description('stop a daemon claiming (it finishes its calls in flight and hands back cells claimed ahead); --undo lets it claim again')
    .argument('<daemon>', 'daemon id (see beacon daemons)')
    .option('--undo', 'let the daemon claim again')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the API answer as JSON')
    .addHelpText('after', examples(['beacon drain host-a:4121:9f2c1e', 'beacon drain host-a:4121:9f2c1e --undo']))
    .action(async (id: string, opts: ChangeOptions & { undo?: boolean }) => {
      if (!opts.undo) await confirm(`drain daemon ${id}`, opts.yes);
      const d = await apiClient().setDraining(id, !opts.undo);
      if (opts.json) return printJson(d);
      const calling = d.claims.reduce((n, c) => n + c.calling, 0);
      process.stdout.write(`daemon ${clean(d.id)}: ${d.draining ? `draining, ${calling} call(s) in flight` : 'claiming'}\n`);
    });
}

/** `--cells 1,2,3` as ids, or a usage error naming the flag. */
function cellIds(raw: string): string[] {
  const ids = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !/^[1-9]\d{0,17}$/.test(id));
  if (ids.length === 0 || bad !== undefined)
    throw new CliError(`--cells: must be execution ids separated by commas (got ${JSON.stringify(bad ?? raw)})`, EXIT.usage);
  return ids;
}

/** The (region, model) of `--region` and `--model` (both or neither), or null when neither and a job is given. */
function keyOf(opts: KeyOptions, noJob: boolean): { region: string; model: string } | null {
  if (opts.region === undefined && opts.model === undefined) {
    if (noJob) throw new CliError('give a job id, or --region and --model', EXIT.usage);
    return null;
  }
  if (!noJob) throw new CliError('give a job id or --region and --model, not both', EXIT.usage);
  if (opts.region === undefined) throw new CliError('--model needs --region', EXIT.usage);
  if (opts.model === undefined) throw new CliError('--region needs --model', EXIT.usage);
  return { region: opts.region, model: opts.model };
}

const keyColumns = [
  { header: 'REGION', value: (k: KeyControlView) => k.region },
  { header: 'MODEL', value: (k: KeyControlView) => k.model },
  { header: 'PAUSED', value: (k: KeyControlView) => (k.paused ? `since ${k.pausedAt} by ${k.pausedBy ?? '?'}` : 'no') },
  {
    header: 'CONCURRENCY',
    value: (k: KeyControlView) => (k.concurrency === null ? "region's" : String(k.concurrency)),
    align: 'right' as const,
  },
  { header: 'CHANGED BY', value: (k: KeyControlView) => k.updatedBy },
];

const daemonColumns = [
  { header: 'DAEMON', value: (d: DaemonView) => d.id },
  { header: 'HOST', value: (d: DaemonView) => d.host },
  { header: 'STARTED', value: (d: DaemonView) => d.startedAt },
  { header: 'HEARTBEAT', value: (d: DaemonView) => (d.stoppedAt ? `stopped ${d.stoppedAt}` : `${d.silentForS} s ago`) },
  { header: 'DRAINING', value: (d: DaemonView) => (d.draining ? 'yes' : 'no') },
  {
    header: 'IN FLIGHT (REGION/MODEL CALLING/HELD)',
    flex: true,
    value: (d: DaemonView) => d.claims.map((c) => `${c.region}/${c.model} ${c.calling}/${c.held}`).join(', ') || '-',
  },
];
