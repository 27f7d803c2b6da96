import type { FindingView, NotificationRoute } from '@beacon/domain';
import { OUTBOX_ENQUEUED_SQL, outboxEnqueueCte, outboxEnqueueParams, queryRows } from '@beacon/db';
import type { DataSource } from 'typeorm';
import { SEVERITIES, type Severity } from './reconciler.types.js';

export type { FindingView } from '@beacon/domain';

/** Filters of {@link FindingsRepository.list}. */
export interface FindingFilter {
  jobId?: string;
  ruleId?: string;
  severity?: Severity;
  state?: 'open' | 'resolved' | 'all';
}

/** Which states a listing may ask for. */
export const FINDING_STATES = ['open', 'resolved', 'all'] as const;

/** A `reconciler_findings` row. */
interface FindingRow {
  id: string;
  rule_id: string;
  severity: string;
  fingerprint: string;
  job_id: string | null;
  summary: string;
  evidence: Record<string, unknown>;
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
  occurrences: number;
}

/** A finding to record: a `reconciler_findings` row without its times and count (the reconciler's or drift detection's). */
export interface FindingWrite {
  ruleId: string;
  severity: Severity;
  fingerprint: string;
  jobId: string | null;
  summary: string;
  evidence: Record<string, unknown>;
}

/**
 * The one owner of `reconciler_findings`: writes (upsert by fingerprint, with the notifications of new ones; resolve
 * what is no longer seen) for the reconciler and drift detection, and reads: findings (newest first, keyset-paged),
 * open counts and the last runs.
 */
export class FindingsRepository {
  /** `routes`: the configured notification sinks; a finding inserted for the first time is enqueued for each that takes it. */
  constructor(
    private readonly ds: DataSource,
    private readonly routes: readonly NotificationRoute[] = [],
  ) {}

  /**
   * Records findings in one statement: a new fingerprint is inserted, a known one (open or resolved) is seen again
   * (`last_seen_at` now, one more occurrence, reopened, its summary and evidence replaced). The same statement enqueues
   * each new finding's notifications ({@link outboxEnqueueCte}): the finding and its outbox rows commit together, and
   * a re-sighting (the ON CONFLICT branch) enqueues nothing. Enqueueing here rather than in an AFTER INSERT trigger
   * keeps the sinks where they are configured (a trigger would need them copied into a table, which daemons with
   * different configurations would overwrite), and every finding is written by this statement. Returns each row's
   * first sighting and occurrences (1 means it is new).
   */
  async upsert(findings: readonly FindingWrite[]): Promise<{ fingerprint: string; firstSeenAt: Date; occurrences: number }[]> {
    if (findings.length === 0) return [];
    const col = <T>(f: (x: FindingWrite) => T): T[] => findings.map(f);
    const rows = await queryRows<{ fingerprint: string; first_seen_at: Date; occurrences: number }>(
      this.ds,
      `WITH up AS (
         INSERT INTO reconciler_findings (rule_id, severity, fingerprint, job_id, summary, evidence)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
         ON CONFLICT (fingerprint) DO UPDATE
            SET last_seen_at = now(), occurrences = reconciler_findings.occurrences + 1, resolved_at = NULL,
                severity = EXCLUDED.severity, summary = EXCLUDED.summary, evidence = EXCLUDED.evidence, job_id = EXCLUDED.job_id
         RETURNING id, rule_id, severity, fingerprint, job_id, summary, evidence, first_seen_at, occurrences),
       ${outboxEnqueueCte('up', 7)}
       SELECT fingerprint, first_seen_at, occurrences, ${OUTBOX_ENQUEUED_SQL} FROM up`,
      [
        col((f) => f.ruleId),
        col((f) => f.severity),
        col((f) => f.fingerprint),
        col((f) => f.jobId),
        col((f) => f.summary),
        col((f) => JSON.stringify(f.evidence)),
        ...outboxEnqueueParams(this.routes),
      ],
    );
    return rows.map((r) => ({ fingerprint: r.fingerprint, firstSeenAt: r.first_seen_at, occurrences: r.occurrences }));
  }

  /**
   * Marks resolved the open findings of `ruleIds` not in `seen`, of the jobs `jobIds` (null: every job); returns how
   * many. Never deletes a row.
   */
  async resolveUnseen(ruleIds: readonly string[], seen: readonly string[], jobIds: readonly string[] | null): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `UPDATE reconciler_findings SET resolved_at = now()
        WHERE rule_id = ANY($1::text[]) AND resolved_at IS NULL AND NOT (fingerprint = ANY($2::text[]))
          AND ($3::text[] IS NULL OR job_id = ANY($3::text[]))
       RETURNING id`,
      [ruleIds, seen, jobIds],
    );
    return rows.length;
  }

  /** One page of findings, newest first; `nextCursor` is the id to pass as `cursor` for the next page. */
  async list(filter: FindingFilter, limit: number, cursor: string | null): Promise<{ items: FindingView[]; nextCursor: string | null }> {
    const state = filter.state ?? 'open';
    const rows = await queryRows<FindingRow>(
      this.ds,
      `SELECT * FROM reconciler_findings
        WHERE ($1::text IS NULL OR job_id = $1) AND ($2::text IS NULL OR rule_id = $2) AND ($3::text IS NULL OR severity = $3)
          AND ($4 = 'all' OR ($4 = 'open') = (resolved_at IS NULL))
          AND ($5::bigint IS NULL OR id < $5::bigint)
        ORDER BY id DESC LIMIT $6`,
      [filter.jobId ?? null, filter.ruleId ?? null, filter.severity ?? null, state, cursor, limit + 1],
    );
    const items = rows.slice(0, limit).map(view);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  /** Open findings counted by rule and severity. */
  async openCounts(): Promise<{ ruleId: string; severity: Severity; count: number }[]> {
    const rows = await queryRows<{ rule_id: string; severity: string; n: number }>(
      this.ds,
      `SELECT rule_id, severity, count(*)::int AS n FROM reconciler_findings WHERE resolved_at IS NULL GROUP BY 1, 2`,
    );
    return rows.map((r) => ({ ruleId: r.rule_id, severity: parseSeverity(r.severity), count: r.n }));
  }

  /** Start times of the last successful run of any kind and of the last successful full pass. */
  async lastRuns(): Promise<{ any: Date | null; full: Date | null }> {
    const [r] = await queryRows<{ any_run: Date | null; full_run: Date | null }>(
      this.ds,
      `SELECT (SELECT max(started_at) FROM reconciler_runs WHERE error IS NULL) AS any_run,
              (SELECT max(started_at) FROM reconciler_runs WHERE error IS NULL AND kind = 'full') AS full_run`,
    );
    return { any: r?.any_run ?? null, full: r?.full_run ?? null };
  }
}

function view(r: FindingRow): FindingView {
  return {
    id: r.id,
    ruleId: r.rule_id,
    severity: parseSeverity(r.severity),
    fingerprint: r.fingerprint,
    jobId: r.job_id,
    summary: r.summary,
    evidence: r.evidence,
    firstSeenAt: r.first_seen_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    resolvedAt: r.resolved_at === null ? null : r.resolved_at.toISOString(),
    occurrences: r.occurrences,
  };
}

/** A severity read from the database (a CHECK constraint holds the column to these words). */
function parseSeverity(value: string): Severity {
  const severity = SEVERITIES.find((s) => s === value);
  if (severity === undefined) throw new Error(`not a severity: ${JSON.stringify(value)}`);
  return severity;
}
