import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { DRIFT_DEFAULTS, DRIFT_RULE_IDS, detectDrift, type DriftFinding, type DriftOptions, type TrendSource } from '@beacon/analysis';
import { isTerminalJobStatus, redactSecretsDeep, type TrendSeries } from '@beacon/domain';
import type { BeaconMetrics } from '@beacon/observability';
import { FindingsRepository } from '@beacon/reconciler';
import { EngineService } from '../engine/engine.service.js';
import { METRICS } from '../tokens.js';

/** Injection token of the {@link TrendSource} drift detection reads series from (none: drift detection is off). */
export const TREND_SOURCE = Symbol('TREND_SOURCE');

/** Jobs waiting for drift detection beyond this are dropped (counted as skipped): a burst of job ends must not pile up. */
export const DRIFT_QUEUE_LIMIT = 100;

/** What an evaluation did. */
export type DriftOutcome =
  | { result: 'ok'; findings: DriftFinding[]; created: number; resolved: number }
  | { result: 'skipped'; reason: string }
  | { result: 'failed'; message: string };

/**
 * Drift detection when a job ends: the daemon whose roll-up wrote the job's terminal status (one daemon: the write is
 * conditional) reads the job's series through the {@link TrendSource}, evaluates the job's run (detectDrift) and records
 * the findings in `reconciler_findings` through the findings repository, their one writer. A run's findings stay open
 * until the next run of its series is evaluated, which resolves them (and records its own).
 *
 * Bounded work: evaluations run one at a time, at most {@link DRIFT_QUEUE_LIMIT} wait, and the series is cut to the runs
 * the rules look at (the baseline window or the response history, whichever is longer, and the job's run), so one
 * evaluation is a few milliseconds for the built-in bank (bench/drift.mjs: 33 ms for the newest of 1,000 runs × 72 cells
 * uncut).
 */
@Injectable()
export class DriftService implements OnModuleInit {
  private readonly log = new Logger('Drift');
  private readonly options: DriftOptions = { ...DRIFT_DEFAULTS };
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    @Optional() @Inject(TREND_SOURCE) private readonly source: TrendSource | null,
    private readonly findings: FindingsRepository,
    @Inject(METRICS) private readonly metrics: BeaconMetrics,
    // Optional and typed as the class, not `| null`: a union would erase to Object in the decorator metadata and Nest
    // would inject nothing. Tests construct the service without an engine.
    @Optional() private readonly engine?: EngineService,
  ) {
    for (const result of ['ok', 'failed', 'skipped']) metrics.driftEvaluations.inc({ result }, 0);
    for (const rule of DRIFT_RULE_IDS) {
      metrics.driftFindings.inc({ rule }, 0);
      metrics.driftOpenFindings.set({ rule }, 0);
    }
  }

  onModuleInit(): void {
    this.engine?.subscribe((e) => {
      if (e.type === 'job_status' && isTerminalJobStatus(e.status)) void this.enqueue(e.jobId);
    });
  }

  /** Queues the job's evaluation behind the running one; resolves with its outcome (never rejects). */
  enqueue(jobId: string): Promise<DriftOutcome> {
    if (this.waiting >= DRIFT_QUEUE_LIMIT) {
      this.metrics.driftEvaluations.inc({ result: 'skipped' });
      this.log.warn(`drift detection of job ${jobId} skipped: ${this.waiting} jobs are waiting`);
      return Promise.resolve({ result: 'skipped', reason: 'queue full' });
    }
    this.waiting += 1;
    const run = this.tail.then(() => this.evaluate(jobId)).finally(() => (this.waiting -= 1));
    this.tail = run;
    return run;
  }

  /** Evaluates the job's run of its series and records the findings. */
  async evaluate(jobId: string): Promise<DriftOutcome> {
    try {
      const series = this.source ? await this.source.seriesForJob(jobId) : null;
      const at = series?.runs.findIndex((r) => r.jobId === jobId) ?? -1;
      if (!series || at < 0) {
        this.metrics.driftEvaluations.inc({ result: 'skipped' });
        return { result: 'skipped', reason: this.source ? 'the job is in no series' : 'no trend source' };
      }
      const cut = lastRuns(series, at, Math.max(this.options.baselineRuns, this.options.historyRuns) + 1);
      const found = detectDrift(cut, this.options);
      const rows = await this.findings.upsert(
        found.map((f) => ({
          ruleId: f.rule,
          severity: f.severity,
          fingerprint: f.fingerprint,
          jobId: f.jobId,
          summary: redactSecretsDeep(f.summary),
          // Example answers are stored text already; hidden again in case a secret was registered since.
          evidence: redactSecretsDeep(f.evidence) as unknown as Record<string, unknown>,
        })),
      );
      const resolved = await this.findings.resolveUnseen(
        DRIFT_RULE_IDS,
        found.map((f) => f.fingerprint),
        series.runs.slice(0, at + 1).map((r) => r.jobId),
      );
      const created = rows.filter((r) => r.occurrences === 1);
      for (const r of created) this.metrics.driftFindings.inc({ rule: found.find((f) => f.fingerprint === r.fingerprint)!.rule });
      this.setRefusalRates(series, at);
      await this.refreshOpen();
      this.metrics.driftEvaluations.inc({ result: 'ok' });
      return { result: 'ok', findings: found, created: created.length, resolved };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.metrics.driftEvaluations.inc({ result: 'failed' });
      this.log.error(`drift detection of job ${jobId} failed: ${message}`);
      return { result: 'failed', message };
    }
  }

  /** `beacon_refusal_rate_last_run{model,region}` from the evaluated run's points. */
  private setRefusalRates(series: TrendSeries, at: number): void {
    const index = series.runs[at]!.index;
    const byKey = new Map<string, { model: string; region: string; refused: number; responses: number }>();
    for (const p of series.points) {
      if (p.runIndex !== index) continue;
      const key = `${p.model}\u0000${p.region}`;
      let k = byKey.get(key);
      if (!k) byKey.set(key, (k = { model: p.model, region: p.region, refused: 0, responses: 0 }));
      k.refused += p.counts.refused;
      k.responses += p.responses;
    }
    for (const k of byKey.values())
      if (k.responses > 0) this.metrics.refusalRateLastRun.set({ model: k.model, region: k.region }, k.refused / k.responses);
  }

  /**
   * Every 30 s in every daemon, so that each reports the database's open drift findings (the dashboard reads them with
   * max), not the count it saw at its own last evaluation. Errors are logged, never thrown into the scheduler.
   */
  @Cron('*/30 * * * * *', { name: 'beacon-drift-gauges', waitForCompletion: true })
  async refreshGauges(): Promise<void> {
    try {
      await this.refreshOpen();
    } catch (err) {
      this.log.warn(`drift gauges not refreshed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** `beacon_drift_open_findings{rule}` from the open rows. */
  private async refreshOpen(): Promise<void> {
    const counts = await this.findings.openCounts();
    for (const rule of DRIFT_RULE_IDS)
      this.metrics.driftOpenFindings.set(
        { rule },
        counts.filter((c) => c.ruleId === rule).reduce((n, c) => n + c.count, 0),
      );
  }
}

/** The series cut to its runs from `at − (keep − 1)` to `at`. */
export function lastRuns(series: TrendSeries, at: number, keep: number): TrendSeries {
  const runs = series.runs.slice(Math.max(0, at - keep + 1), at + 1);
  const kept = new Set(runs.map((r) => r.index));
  return { ...series, runs, points: series.points.filter((p) => kept.has(p.runIndex)) };
}
