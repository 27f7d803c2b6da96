import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  OUTBOX_STATES,
  describePost,
  resolveSinks,
  testEvent,
  type NotificationDeliveryView,
  type NotificationSinkSummaryView,
} from '@beacon/domain';
import { apiClient, readConfig, type GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable, note, printJson, tableWidth } from '../output.js';

/** One sink's answer to `beacon notify test`. */
interface TestResult {
  id: string;
  kind: string;
  host: string;
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
}

function positive(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new CliError(`--${name} must be an integer from 1 to ${max}`, EXIT.usage);
  return n;
}

const deliveryColumns = [
  { header: 'ID', value: (d: NotificationDeliveryView) => d.id, align: 'right' as const },
  { header: 'OUTBOX', value: (d: NotificationDeliveryView) => d.outboxId, align: 'right' as const },
  { header: 'SINK', value: (d: NotificationDeliveryView) => d.sinkId },
  { header: 'HOST', value: (d: NotificationDeliveryView) => d.host },
  { header: 'ATTEMPT', value: (d: NotificationDeliveryView) => String(d.attempt), align: 'right' as const },
  { header: 'STARTED', value: (d: NotificationDeliveryView) => d.startedAt },
  { header: 'MS', value: (d: NotificationDeliveryView) => (d.durationMs === null ? '-' : String(d.durationMs)), align: 'right' as const },
  { header: 'HTTP', value: (d: NotificationDeliveryView) => (d.httpStatus === null ? '-' : String(d.httpStatus)), align: 'right' as const },
  { header: 'OUTCOME', value: (d: NotificationDeliveryView) => d.outcome ?? 'in flight' },
  { header: 'ERROR', value: (d: NotificationDeliveryView) => (d.error ?? '').slice(0, 80), flex: true },
];

const summaryColumns = [
  { header: 'SINK', value: (s: NotificationSinkSummaryView) => s.sinkId },
  ...OUTBOX_STATES.map((state) => ({
    header: state.toUpperCase(),
    value: (s: NotificationSinkSummaryView) => String(s.states[state]),
    align: 'right' as const,
  })),
  {
    header: 'OLDEST_PENDING',
    value: (s: NotificationSinkSummaryView) => (s.oldestPendingSeconds === null ? '-' : `${Math.round(s.oldestPendingSeconds)}s`),
    align: 'right' as const,
  },
];

/**
 * `beacon notify test|list|log|retry`. `test` posts a test event to the configured sinks from this machine (no daemon
 * needed) and exits 1 when any fails; the others read and change the daemon's outbox through the API (viewer, and
 * operator for `retry`).
 */
export function registerNotify(program: Command): void {
  const notify = program
    .command('notify')
    .description('notification sinks: send a test event, list the outbox, read the delivery log, retry');

  notify
    .command('test')
    .description('send a test event to each configured sink (or one) and print its answer; exit 1 if any fails')
    .option('--sink <id>', 'only this sink')
    .option('--json', 'print as JSON')
    .option('--wide', 'every value whole, however wide the table')
    .action(async (opts: { sink?: string; json?: boolean; wide?: boolean }) => {
      const config = readConfig(program.opts<GlobalOptions>());
      const configured = config.notifications?.sinks ?? [];
      if (configured.length === 0) throw new CliError('no sinks configured (notifications.sinks in the configuration)', EXIT.usage);
      const index = opts.sink === undefined ? null : configured.findIndex((s) => s.id === opts.sink);
      if (index === -1) throw new CliError(`unknown sink ${opts.sink}; sinks: ${configured.map((s) => s.id).join(', ')}`, EXIT.usage);
      const { sinks, problems } = resolveSinks(config, process.env);
      const mine = problems.filter((p) => index === null || p.path.startsWith(`notifications.sinks[${index}].`));
      if (mine.length) throw new CliError(mine.map((p) => `${p.path}: ${p.message}`).join('\n'), EXIT.usage);
      const chosen = sinks.filter((s) => opts.sink === undefined || s.id === opts.sink);
      // The engine's webhook sender loads here, not at start-up (see program.ts).
      const { WebhookSender, attemptError } = await import('../lazy/engine.js');
      const sender = new WebhookSender();
      let results: TestResult[];
      try {
        results = await Promise.all(
          chosen.map(async (sink): Promise<TestResult> => {
            const { result, latencyMs } = await sender.post(sink, `test-${randomUUID()}`, testEvent(new Date()));
            const ok = result.kind === 'http' && result.status >= 200 && result.status <= 299;
            return {
              id: sink.id,
              kind: sink.kind,
              host: sink.host,
              ok,
              status: result.kind === 'http' ? result.status : null,
              latencyMs,
              error: ok ? null : (attemptError(result) ?? describePost(result)),
            };
          }),
        );
      } finally {
        await sender.close();
      }
      if (opts.json) printJson({ ok: results.every((r) => r.ok), sinks: results });
      else
        process.stdout.write(
          formatTable(
            results,
            [
              { header: 'SINK', value: (r) => r.id },
              { header: 'KIND', value: (r) => r.kind },
              { header: 'HOST', value: (r) => r.host },
              { header: 'RESULT', value: (r) => (r.ok ? 'ok' : 'FAILED') },
              { header: 'HTTP', value: (r) => (r.status === null ? '-' : String(r.status)), align: 'right' },
              { header: 'MS', value: (r) => String(r.latencyMs), align: 'right' },
              { header: 'ERROR', value: (r) => (r.error ?? '').slice(0, 100), flex: true },
            ],
            { width: tableWidth(opts.wide) },
          ),
        );
      const failed = results.filter((r) => !r.ok).map((r) => r.id);
      if (failed.length) throw new CliError(`test event not accepted by ${failed.join(', ')}`, EXIT.failure);
    });

  notify
    .command('list')
    .description('the notification outbox counted by sink and state')
    .option('--json', 'print as JSON')
    .option('--wide', 'every value whole, however wide the table')
    .action(async (opts: { json?: boolean; wide?: boolean }) => {
      const summary = await apiClient().notificationSummary();
      if (opts.json) return printJson(summary);
      process.stdout.write(
        summary.outbox.length ? formatTable(summary.outbox, summaryColumns, { width: tableWidth(opts.wide) }) : 'no notifications\n',
      );
    });

  notify
    .command('log')
    .description('the delivery log: one row per HTTP attempt, newest first')
    .option('--sink <id>', 'only this sink')
    .option('--limit <n>', 'how many', '50')
    .option('--cursor <cursor>', 'the page after this one: the nextCursor of the previous page')
    .option('--json', 'print as JSON: {items, nextCursor}')
    .option('--wide', 'every value whole, however wide the table')
    .action(async (opts: { sink?: string; limit: string; cursor?: string; json?: boolean; wide?: boolean }) => {
      const page = await apiClient().notificationDeliveries({
        sink: opts.sink,
        limit: positive('limit', opts.limit, 1000),
        cursor: opts.cursor,
      });
      if (opts.json) return printJson(page);
      process.stdout.write(
        page.items.length ? formatTable(page.items, deliveryColumns, { width: tableWidth(opts.wide) }) : 'no deliveries\n',
      );
      if (page.nextCursor) note(`more: add --cursor ${page.nextCursor}`);
    });

  notify
    .command('retry')
    .description('put a dead-lettered notification back to pending (operator)')
    .argument('<id>', 'outbox id (as `beacon notify log` shows it)')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      if (!/^[1-9]\d{0,17}$/.test(id)) throw new CliError('ID must be a positive integer (an outbox id)', EXIT.usage);
      const out = await apiClient().retryNotification(id);
      if (opts.json) return printJson(out);
      process.stdout.write(`notification ${out.id} (sink ${out.sinkId}) is ${out.state}, up to ${out.maxAttempts} attempts in all\n`);
    });
}
