import { queryRows } from '@beacon/db';
import type { NotificationRoute } from '@beacon/domain';
import type { DataSource, QueryRunner } from 'typeorm';
import { FindingsRepository } from './findings.repository.js';
import { RULES } from './rules/index.js';
import {
  DEFAULT_THRESHOLDS,
  type RawFinding,
  type ReconcileScope,
  type ReconcilerRule,
  type ReconcilerThresholds,
  type Severity,
} from './reconciler.types.js';

/** One open finding reported by a run. */
export interface Finding extends RawFinding {
  ruleId: string;
  severity: Severity;
  title: string;
  explanation: string;
  /** Set when the run persisted its findings. */
  firstSeenAt: string | null;
  occurrences: number;
}

/** What {@link ReconcileService.run} is asked to do. */
export interface ReconcileOptions {
  scope?: ReconcileScope;
  /** Only these rules (default: all). Unknown ids are an error. */
  ruleIds?: string[];
  /** Upsert findings, resolve the ones gone and record the run. */
  persist: boolean;
  /**
   * How long to wait for a run another process holds (0: do not wait, the daemons' schedule). A CI gate waits: every
   * daemon runs a pass every 30 s, and a gate that starts during one must not fail for it.
   */
  lockWaitMs?: number;
}

/** A run that held the lock. */
export interface ReconcileResult {
  skipped: false;
  kind: 'full' | 'incremental';
  findings: Finding[];
  /** Findings this run marked resolved. */
  resolved: number;
  durationMs: number;
  /** Rules that failed; their findings are neither reported nor resolved. */
  errors: { ruleId: string; message: string }[];
}

/** The outcome of a run: its result, or skipped when another reconciler holds the lock. */
export type ReconcileOutcome = ReconcileResult | { skipped: true };

/** The advisory lock key every reconciler takes (one reconciler at a time across daemons and CLIs). */
export const RECONCILER_LOCK_KEY = 7_263_015_123;

/** Ids of every rule. */
export function ruleIds(): string[] {
  return RULES.map((r) => r.id);
}

/** Runs the reconciler rules against the database and keeps the findings table in step. */
export class ReconcileService {
  private readonly thresholds: ReconcilerThresholds;
  /** Writes findings (and enqueues the notifications of new ones): the one owner of the findings table. */
  private readonly findings: FindingsRepository;

  constructor(
    private readonly ds: DataSource,
    thresholds: Partial<ReconcilerThresholds> = {},
    private readonly rules: readonly ReconcilerRule[] = RULES,
    /** The configured notification sinks' routes: a finding inserted for the first time is enqueued for each that takes it. */
    routes: readonly NotificationRoute[] = [],
  ) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
    this.findings = new FindingsRepository(ds, routes);
  }

  /** One run under the reconciler advisory lock; `{ skipped: true }` when another run holds it. */
  async run(opts: ReconcileOptions): Promise<ReconcileOutcome> {
    const rules = this.select(opts.ruleIds);
    const lock = this.ds.createQueryRunner();
    await lock.connect();
    try {
      if (!(await this.takeLock(lock, opts.lockWaitMs ?? 0))) return { skipped: true };
      try {
        return await this.runLocked(rules, opts);
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1::bigint)', [RECONCILER_LOCK_KEY]);
      }
    } finally {
      await lock.release();
    }
  }

  /** Takes the session-level advisory lock, waiting up to `waitMs` (server-side, with lock_timeout) for its holder. */
  private async takeLock(lock: QueryRunner, waitMs: number): Promise<boolean> {
    if (waitMs <= 0) {
      const [got] = await queryRows<{ ok: boolean }>(lock.manager, 'SELECT pg_try_advisory_lock($1::bigint) AS ok', [RECONCILER_LOCK_KEY]);
      return got?.ok === true;
    }
    await lock.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.ceil(waitMs)}ms`]);
    try {
      await lock.query('SELECT pg_advisory_lock($1::bigint)', [RECONCILER_LOCK_KEY]);
      return true;
    } catch (err) {
      // 55P03 lock_not_available: the holder kept it past lock_timeout.
      if ((err as { code?: string }).code === '55P03') return false;
      throw err;
    } finally {
      await lock.query(`SELECT set_config('lock_timeout', '0', false)`);
    }
  }

  private select(ids: string[] | undefined): readonly ReconcilerRule[] {
    if (!ids || ids.length === 0) return this.rules;
    const unknown = ids.filter((id) => !this.rules.some((r) => r.id === id));
    if (unknown.length) throw new Error(`unknown rule ${unknown.join(', ')}; rules: ${this.rules.map((r) => r.id).join(', ')}`);
    return this.rules.filter((r) => ids.includes(r.id));
  }

  private async runLocked(rules: readonly ReconcilerRule[], opts: ReconcileOptions): Promise<ReconcileResult> {
    const startedAt = new Date();
    const t0 = performance.now();
    const scope = opts.scope ?? {};
    const kind = scope.jobId || scope.since ? 'incremental' : 'full';
    const explicit = scope.jobId ? [scope.jobId] : null;
    const touched = scope.jobId ? explicit : scope.since ? await this.touchedJobs(scope.since) : null;
    const findings: Finding[] = [];
    const errors: { ruleId: string; message: string }[] = [];
    let resolved = 0;
    for (const rule of rules) {
      const jobIds = rule.kind === 'live' ? explicit : touched;
      let raw: RawFinding[];
      try {
        raw = dedupe(
          await this.ds.transaction('REPEATABLE READ', async (tx) => {
            await tx.query(`SET TRANSACTION READ ONLY`);
            await tx.query(`SELECT set_config('statement_timeout', $1, true)`, [String(this.thresholds.statementTimeoutMs)]);
            return rule.run({ ds: tx, jobIds, thresholds: this.thresholds });
          }),
        );
      } catch (err) {
        errors.push({ ruleId: rule.id, message: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const mine: Finding[] = raw.map((f) => ({
        ...f,
        ruleId: rule.id,
        severity: rule.severity,
        title: rule.title,
        explanation: rule.explanation,
        firstSeenAt: null,
        occurrences: 1,
      }));
      if (opts.persist) {
        await this.upsert(mine);
        resolved += await this.resolve(
          rule.id,
          mine.map((f) => f.fingerprint),
          jobIds,
        );
      }
      findings.push(...mine);
    }
    const durationMs = Math.round(performance.now() - t0);
    if (opts.persist) {
      await this.ds.query(`INSERT INTO reconciler_runs (started_at, kind, findings, duration_ms, error) VALUES ($1, $2, $3, $4, $5)`, [
        startedAt,
        kind,
        findings.length,
        durationMs,
        errors.length ? errors.map((e) => `${e.ruleId}: ${e.message}`).join('; ') : null,
      ]);
    }
    return { skipped: false, kind, findings, resolved, durationMs, errors };
  }

  /** Jobs with a status change or an attempt started since `since` (less a margin for long calls). */
  private async touchedJobs(since: Date): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `SELECT id FROM jobs WHERE updated_at >= $1
       UNION
       SELECT DISTINCT job_id FROM execution_attempts WHERE started_at >= $1::timestamptz - make_interval(secs => $2::double precision / 1000)`,
      [since, this.thresholds.touchedMarginMs],
    );
    return rows.map((r) => r.id);
  }

  /** Records the run's findings through the findings repository (which also enqueues new findings' notifications). */
  private async upsert(findings: Finding[]): Promise<void> {
    const byFp = new Map((await this.findings.upsert(findings)).map((r) => [r.fingerprint, r]));
    for (const f of findings) {
      const r = byFp.get(f.fingerprint);
      if (r) {
        f.firstSeenAt = r.firstSeenAt.toISOString();
        f.occurrences = r.occurrences;
      }
    }
  }

  private resolve(ruleId: string, seen: string[], jobIds: string[] | null): Promise<number> {
    return this.findings.resolveUnseen([ruleId], seen, jobIds);
  }
}

function dedupe(findings: RawFinding[]): RawFinding[] {
  const seen = new Map<string, RawFinding>();
  for (const f of findings) if (!seen.has(f.fingerprint)) seen.set(f.fingerprint, f);
  return [...seen.values()];
}
