import type { DataSource, EntityManager } from 'typeorm';

/** How bad a finding is; `critical` means the exactly-once promise or the data itself is in question. */
export type Severity = 'info' | 'warning' | 'critical';

/** Every severity, lowest first. */
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/** The rank of a severity (info 0, warning 1, critical 2), for `--fail-on`. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** What a run looks at: one job, and/or only jobs touched after `since`. */
export interface ReconcileScope {
  jobId?: string;
  since?: Date;
}

/** One condition a rule found, before it is persisted. */
export interface RawFinding {
  /** Stable across runs: rule id + the key columns of what is wrong. */
  fingerprint: string;
  jobId: string | null;
  summary: string;
  /** Execution / attempt ids, counts and times an operator can look up. */
  evidence: Record<string, unknown>;
}

/** Tunable limits; {@link DEFAULT_THRESHOLDS} holds the defaults. */
export interface ReconcilerThresholds {
  /** A running cell whose lease expired longer ago than this is stuck (the reaper is not running). */
  stuckRunningMs: number;
  /** A pending, runnable cell older than this, with no claim in its (region, model) for as long, is stalled. */
  stalledPendingMs: number;
  /** Window of the retry-storm rule. */
  retryStormWindowMs: number;
  /** Retries above this fraction of first attempts (of at least `retryStormMinFirst`) make a storm. */
  retryStormFraction: number;
  retryStormMinFirst: number;
  /** A burst: at least `retryBurstMin` retries within `retryBurstWindowMs` after `retryBurstSilenceMs` without attempts. */
  retryBurstMin: number;
  retryBurstWindowMs: number;
  retryBurstSilenceMs: number;
  /** An active job whose cells are all finished for longer than this should have a final status. */
  statusLagMs: number;
  /** Attempts that start this long after their job finished are work after the end. */
  workAfterEndGraceMs: number;
  /** A region fails wholesale: at least this many finished cells, at most this success rate... */
  regionFailingMinCells: number;
  regionFailingMaxSuccessRate: number;
  /** ...while the job's other regions succeed at least at this rate. */
  regionOthersMinSuccessRate: number;
  /** Responses shorter than this are not compared by the identical-responses rule. */
  identicalResponseMinLength: number;
  /** Attempts started this long before `since` still count as touching their job (long calls). */
  touchedMarginMs: number;
  /** Evidence lists are cut to this many ids. */
  evidenceLimit: number;
  /** Each rule's queries are cancelled after this long (statement_timeout). */
  statementTimeoutMs: number;
}

/** The defaults of every threshold. */
export const DEFAULT_THRESHOLDS: ReconcilerThresholds = {
  stuckRunningMs: 60_000,
  stalledPendingMs: 10 * 60_000,
  retryStormWindowMs: 15 * 60_000,
  retryStormFraction: 0.2,
  retryStormMinFirst: 10,
  retryBurstMin: 20,
  retryBurstWindowMs: 60_000,
  retryBurstSilenceMs: 10 * 60_000,
  statusLagMs: 60_000,
  workAfterEndGraceMs: 5_000,
  regionFailingMinCells: 3,
  regionFailingMaxSuccessRate: 0.1,
  regionOthersMinSuccessRate: 0.5,
  identicalResponseMinLength: 20,
  touchedMarginMs: 10 * 60_000,
  evidenceLimit: 50,
  statementTimeoutMs: 30_000,
};

/** What a rule runs with: a read-only snapshot (or the DataSource itself). `jobIds` null means every job. */
export interface RuleContext {
  ds: DataSource | EntityManager;
  jobIds: string[] | null;
  thresholds: ReconcilerThresholds;
}

/** One reconciler rule. */
export interface ReconcilerRule {
  id: string;
  severity: Severity;
  title: string;
  /** What it means and what an operator should do, in one paragraph. */
  explanation: string;
  /**
   * `jobs`: looks at whole jobs, so an incremental run covers the jobs touched since its start.
   * `live`: looks at current state through partial indexes or a recent window and ignores `since`.
   */
  kind: 'jobs' | 'live';
  run(ctx: RuleContext): Promise<RawFinding[]>;
}
