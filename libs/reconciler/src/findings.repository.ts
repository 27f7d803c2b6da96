import type { FindingView } from '@beacon/domain';
import type { DataSource } from 'typeorm';
import type { Severity } from './reconciler.types.js';

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


type Row = Record<string, unknown>;

/** Reads of the reconciler tables: findings (newest first, keyset-paged), open counts and the last runs. */
export class FindingsRepository {
  constructor(private readonly ds: DataSource) {}

  /** One page of findings, newest first; `nextCursor` is the id to pass as `cursor` for the next page. */
  async list(filter: FindingFilter, limit: number, cursor: string | null): Promise<{ items: FindingView[]; nextCursor: string | null }> {
    const state = filter.state ?? 'open';
    const rows: Row[] = await this.ds.query(
      `SELECT * FROM reconciler_findings
        WHERE ($1::text IS NULL OR job_id = $1) AND ($2::text IS NULL OR rule_id = $2) AND ($3::text IS NULL OR severity = $3)
          AND ($4 = 'all' OR ($4 = 'open') = (resolved_at IS NULL))
          AND ($5::bigint IS NULL OR id < $5::bigint)
        ORDER BY id DESC LIMIT $6`,
      [filter.jobId ?? null, filter.ruleId ?? null, filter.severity ?? null, state, cursor, limit + 1]);
    const items = rows.slice(0, limit).map(view);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  /** Open findings counted by rule and severity. */
  async openCounts(): Promise<{ ruleId: string; severity: Severity; count: number }[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT rule_id, severity, count(*)::int AS n FROM reconciler_findings WHERE resolved_at IS NULL GROUP BY 1, 2`);
    return rows.map((r) => ({ ruleId: String(r.rule_id), severity: r.severity as Severity, count: Number(r.n) }));
  }

  /** Start times of the last successful run of any kind and of the last successful full pass. */
  async lastRuns(): Promise<{ any: Date | null; full: Date | null }> {
    const [r]: Row[] = await this.ds.query(
      `SELECT (SELECT max(started_at) FROM reconciler_runs WHERE error IS NULL) AS any_run,
              (SELECT max(started_at) FROM reconciler_runs WHERE error IS NULL AND kind = 'full') AS full_run`);
    const date = (v: unknown): Date | null => (v == null ? null : new Date(v as string));
    return { any: date(r?.any_run), full: date(r?.full_run) };
  }
}

function view(r: Row): FindingView {
  const time = (v: unknown): string => new Date(v as string).toISOString();
  return {
    id: String(r.id), ruleId: String(r.rule_id), severity: r.severity as Severity, fingerprint: String(r.fingerprint),
    jobId: typeof r.job_id === 'string' ? r.job_id : null, summary: String(r.summary), evidence: r.evidence as Record<string, unknown>,
    firstSeenAt: time(r.first_seen_at), lastSeenAt: time(r.last_seen_at),
    resolvedAt: r.resolved_at == null ? null : time(r.resolved_at), occurrences: Number(r.occurrences),
  };
}
