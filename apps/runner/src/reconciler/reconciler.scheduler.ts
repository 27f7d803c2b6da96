import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import type { BeaconMetrics } from '@beacon/observability';
import { FindingsRepository, ReconcileService, RULES, type ReconcileOutcome } from '@beacon/reconciler';
import { notificationRoutes, type BeaconConfig } from '@beacon/domain';
import { DataSource } from 'typeorm';
import { BEACON_CONFIG, METRICS } from '../tokens.js';

/** The reconciler schedule: BEACON_RECONCILE_CRON (six fields, seconds first), default every 30 s. */
export const RECONCILE_CRON = process.env.BEACON_RECONCILE_CRON || '*/30 * * * * *';

/** BEACON_RECONCILE=off turns the scheduled reconciler off in this daemon. */
export const RECONCILE_DISABLED = (process.env.BEACON_RECONCILE ?? '').toLowerCase() === 'off';

/** A full pass when the last one is older than this; incremental runs in between. */
export const FULL_PASS_EVERY_MS = 3_600_000;

/** Results of a scheduled tick, the values of `beacon_reconciler_runs_total{result}`. */
export const RECONCILER_RUN_RESULTS = ['ok', 'failed', 'skipped'] as const;

/**
 * Creates the reconciler's counters at 0 (every run result; every rule with its severity), so that the first failed
 * run and the first new finding after a start are increases Prometheus can see (issue 15.1: a series born at 1 loses
 * its first increment to increase()), and the alerts on them can fire.
 */
export function primeReconcilerMetrics(metrics: BeaconMetrics): void {
  for (const result of RECONCILER_RUN_RESULTS) metrics.reconcilerRuns.inc({ result }, 0);
  for (const rule of RULES) metrics.reconcilerFindingsOpened.inc({ rule: rule.id, severity: rule.severity }, 0);
}

/**
 * Runs the reconciler on a schedule in every daemon; the advisory lock lets one run at a time. Each tick is
 * incremental since the last successful run, or a full pass hourly. Keeps the findings and duration gauges, counts runs
 * by result and findings seen for the first time (`occurrences` 1 after the run's upsert) by rule and severity.
 */
@Injectable()
export class ReconcilerScheduler {
  private readonly log = new Logger('Reconciler');
  private readonly service: ReconcileService;

  constructor(
    ds: DataSource,
    private readonly findings: FindingsRepository,
    @Inject(METRICS) private readonly metrics: BeaconMetrics,
    @Inject(BEACON_CONFIG) config: BeaconConfig,
  ) {
    // New findings are enqueued for the sinks configured here (see ReconcileService.upsert).
    this.service = new ReconcileService(ds, {}, RULES, notificationRoutes(config));
    primeReconcilerMetrics(metrics);
  }

  /** The scheduled tick; errors are logged, never thrown into the scheduler. */
  @Cron(RECONCILE_CRON, { name: 'beacon-reconcile', waitForCompletion: true, disabled: RECONCILE_DISABLED })
  async tick(): Promise<void> {
    try {
      const out = await this.reconcileOnce();
      if (!out.skipped && out.errors.length)
        this.log.warn(`reconciler rules failed: ${out.errors.map((e) => `${e.ruleId}: ${e.message}`).join('; ')}`);
    } catch (err) {
      this.metrics.reconcilerRuns.inc({ result: 'failed' });
      this.log.error(`reconciler run failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** One run (full or incremental, as due), then the gauges refreshed from every open finding. */
  async reconcileOnce(now = new Date()): Promise<ReconcileOutcome> {
    const last = await this.findings.lastRuns();
    const fullDue = !last.full || now.getTime() - last.full.getTime() > FULL_PASS_EVERY_MS;
    const scope = fullDue || !last.any ? {} : { since: last.any };
    const out = await this.service.run({ scope, persist: true });
    this.metrics.reconcilerRuns.inc({ result: out.skipped ? 'skipped' : out.errors.length ? 'failed' : 'ok' });
    if (!out.skipped) {
      this.metrics.reconcilerDuration.set(out.durationMs / 1000);
      for (const f of out.findings) {
        if (f.occurrences === 1) this.metrics.reconcilerFindingsOpened.inc({ rule: f.ruleId, severity: f.severity });
      }
    }
    await this.refreshGauges();
    return out;
  }

  /** Resets `beacon_reconciler_findings` and sets it from the open findings. */
  async refreshGauges(): Promise<void> {
    const counts = await this.findings.openCounts();
    this.metrics.reconcilerFindings.reset();
    for (const c of counts) this.metrics.reconcilerFindings.set({ rule: c.ruleId, severity: c.severity }, c.count);
  }
}
