import { hostname } from 'node:os';
import type { Command } from 'commander';
import { notificationRoutes } from '@beacon/domain';
import type { Finding, ReconcileResult, ReconcileScope, ReconcilerRule, Repair, Severity } from '@beacon/reconciler';
import { readConfig, type GlobalOptions } from '../context.js';
import { openDatabase } from '../database.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable, printJson, tableWidth } from '../output.js';

/**
 * The reconciler's rule ids (its `ruleIds()`) and severities (its SEVERITIES), as the help names them; named here so
 * that `beacon --help` does not load the reconciler and the database layer at start-up (see program.ts).
 * `start-up.spec.ts` checks both against the reconciler.
 */
export const RULE_IDS: readonly string[] = [
  'duplicate_results',
  'duplicate_cell',
  'overlapping_attempts',
  'stuck_running',
  'stalled_pending',
  'retry_storm',
  'job_status_inconsistent',
  'missing_cells',
  'out_of_spec',
  'region_mismatch',
  'served_elsewhere',
  'prompt_drift',
  'impossible_times',
  'work_after_job_end',
  'region_failing_wholesale',
  'identical_responses',
  'retry_burst_after_silence',
  'batch_mode',
  'transparency_log',
];
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

interface ReconcileFlags {
  job?: string;
  since?: string;
  rule?: string[];
  json?: boolean;
  wide?: boolean;
  failOn: string;
  fix?: boolean;
  dryRun?: boolean;
  lockWait: string;
}

/** A cell key as `missing_cells` and `out_of_spec` name it in their evidence (`cells`). */
interface EvidenceCell {
  questionId: string;
  modelId: string;
  region: string;
  replicate: number;
}

/**
 * Evidence ids in one short cell: executions first, then attempts; for a finding that names cells but no execution
 * (`missing_cells`), the first cells as region/model/question (#replicate when not 0) and how many in all.
 */
function evidenceIds(f: Finding): string {
  const list = (k: string): string[] => (Array.isArray(f.evidence[k]) ? (f.evidence[k] as unknown[]).map(String) : []);
  const parts = [
    list('executionIds').length ? `exec ${list('executionIds').slice(0, 5).join(',')}` : '',
    list('attemptIds').length ? `att ${list('attemptIds').slice(0, 5).join(',')}` : '',
  ].filter(Boolean);
  const cells = Array.isArray(f.evidence.cells) ? (f.evidence.cells as EvidenceCell[]) : [];
  if (parts.length === 0 && cells.length > 0) {
    const total = typeof f.evidence.count === 'number' ? f.evidence.count : cells.length;
    const named = cells.slice(0, 3).map((c) => `${c.region}/${c.modelId}/${c.questionId}${c.replicate ? `#${c.replicate}` : ''}`);
    parts.push(`${total} cells ${named.join(',')}${total > named.length ? ',…' : ''}`);
  }
  return parts.join(' ') || '-';
}

/**
 * `beacon reconcile`: runs the reconciler rules straight against the database (for cron and CI), persisting the
 * findings. Exit 0 when no open finding is at or above --fail-on, 1 when one is, 2 on a bad flag or an error.
 */
export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description("check the queue's invariants against the database and report findings (exit 1 when any is at or above --fail-on)")
    .option('--job <id>', 'only this job')
    .option('--since <duration>', 'only jobs touched in the last DURATION (e.g. 10m, 2h, 1d)')
    .option('--rule <id>', `only this rule (repeatable): ${RULE_IDS.join(', ')}`, (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print the findings as JSON')
    .option('--wide', "the table's every value whole, and each rule's explanation (what it means, what to do)")
    .option('--fail-on <severity>', `lowest severity that fails the run: ${SEVERITIES.join(', ')}`, 'warning')
    .option(
      '--fix',
      'apply the safe, audited repairs (requeue stuck cells, cancel pending out-of-spec cells, mark superseded duplicates), then check again',
    )
    .option('--dry-run', 'with --fix: print the repairs it would apply and change nothing')
    .option('--lock-wait <duration>', "how long to wait for another reconciler run (a daemon's scheduled pass) to finish", '2m')
    .action(async (flags: ReconcileFlags) => {
      const { ReconcileService, RepairService, RULES, parseDuration, ruleIds, severityRank } = await import('../lazy/reconciler.js');
      if (!SEVERITIES.includes(flags.failOn as Severity))
        throw new CliError(`--fail-on must be one of ${SEVERITIES.join(', ')}`, EXIT.usage);
      const scope: ReconcileScope = {};
      if (flags.job) scope.jobId = flags.job;
      if (flags.since !== undefined) {
        const ms = parseDuration(flags.since);
        if (ms === null) throw new CliError('--since must be a duration such as 90s, 10m, 2h or 1d', EXIT.usage);
        scope.since = new Date(Date.now() - ms);
      }
      const lockWaitMs = /^0+(ms|s|m|h|d)?$/.test(flags.lockWait.trim()) ? 0 : parseDuration(flags.lockWait);
      if (lockWaitMs === null) throw new CliError('--lock-wait must be a duration such as 0s, 90s or 2m', EXIT.usage);
      const unknown = (flags.rule ?? []).filter((r) => !ruleIds().includes(r));
      if (unknown.length) throw new CliError(`unknown rule ${unknown.join(', ')}; rules: ${ruleIds().join(', ')}`, EXIT.usage);

      let db;
      try {
        db = await openDatabase({ applicationName: 'beacon-reconcile', poolSize: 3, quiet: flags.json });
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), EXIT.usage);
      }
      try {
        const check = async (): Promise<ReconcileResult> => {
          // A finding this run inserts first is enqueued for the configured sinks, as a daemon's run would.
          const service = new ReconcileService(db.ds, {}, RULES, notificationRoutes(readConfig(program.opts<GlobalOptions>())));
          let res = await service.run({ scope, ruleIds: flags.rule, persist: true });
          if (res.skipped && lockWaitMs > 0) {
            process.stderr.write(`another reconciler run is in progress (a daemon's scheduled pass); waiting up to ${flags.lockWait}\n`);
            res = await service.run({ scope, ruleIds: flags.rule, persist: true, lockWaitMs });
          }
          if (res.skipped)
            throw new CliError(`another reconciler run held the lock for ${flags.lockWait}; try again or raise --lock-wait`, EXIT.usage);
          if (res.errors.length) {
            throw new CliError(`rules failed: ${res.errors.map((e) => `${e.ruleId}: ${e.message}`).join('; ')}`, EXIT.usage);
          }
          return res;
        };
        let out = await check();
        let repairs: (Repair & { applied: boolean; changedIds: string[] })[] | undefined;
        if (flags.fix || flags.dryRun) {
          // A requeued stuck cell fails at the same number of lost calls as the daemons' reaper would fail it.
          const repairer = new RepairService(db.ds, readConfig(program.opts<GlobalOptions>()).limits.maxLeaseLossesPerCell);
          const planned = await repairer.plan(out.findings);
          if (flags.dryRun) {
            repairs = planned.map((r) => ({ ...r, applied: false, changedIds: [] }));
          } else {
            repairs = await repairer.apply(planned, `beacon-cli:${process.env.USER ?? 'unknown'}@${hostname()}`);
            // Check again so the findings and the exit code reflect what remains.
            if (repairs.some((r) => r.applied)) out = await check();
          }
          if (!flags.json) {
            const verb = flags.dryRun ? 'would' : 'applied';
            if (repairs.length === 0) process.stdout.write(`no repairs ${flags.dryRun ? 'to apply' : 'applied'}\n`);
            for (const r of repairs) {
              const state = flags.dryRun ? 'would' : r.applied ? verb : 'nothing left to do';
              process.stdout.write(`repair ${r.action} [${state}] ${r.fingerprint}: ${r.description}\n`);
            }
          }
        }
        const threshold = severityRank(flags.failOn as Severity);
        const failing = out.findings.filter((f) => severityRank(f.severity) >= threshold);
        const findings = [...out.findings].sort(
          (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.ruleId.localeCompare(b.ruleId),
        );
        if (flags.json) {
          printJson({
            kind: out.kind,
            durationMs: out.durationMs,
            resolved: out.resolved,
            failOn: flags.failOn,
            failing: failing.length,
            findings,
            ...(repairs ? { dryRun: Boolean(flags.dryRun), repairs } : {}),
          });
        } else if (findings.length === 0) {
          process.stdout.write(`no findings (${out.kind} run, ${out.durationMs} ms, ${out.resolved} resolved)\n`);
        } else {
          process.stdout.write(
            formatTable(
              findings,
              [
                { header: 'SEVERITY', value: (f) => f.severity },
                { header: 'RULE', value: (f) => f.ruleId },
                { header: 'JOB', value: (f) => f.jobId ?? '-' },
                { header: 'SUMMARY', value: (f) => f.summary, flex: true },
                { header: 'EVIDENCE', value: evidenceIds, flex: true },
                // What the finding means and what to do: the rule's explanation, whole, with --wide.
                ...(flags.wide ? [{ header: 'EXPLANATION', value: (f: (typeof findings)[number]) => explanationOf(RULES, f.ruleId) }] : []),
              ],
              { width: tableWidth(flags.wide) },
            ),
          );
          process.stdout.write(
            `${findings.length} findings, ${failing.length} at or above ${flags.failOn}; ${out.resolved} resolved (${out.kind} run, ${out.durationMs} ms)\n`,
          );
        }
        if (failing.length > 0) throw new CliError(`${failing.length} findings at or above ${flags.failOn}`, EXIT.failure);
      } finally {
        await db.close();
      }
    });
}

/** A rule's explanation (what its finding means and what to do), as the findings API gives it. */
function explanationOf(rules: readonly ReconcilerRule[], ruleId: string): string {
  return rules.find((r) => r.id === ruleId)?.explanation ?? '';
}
