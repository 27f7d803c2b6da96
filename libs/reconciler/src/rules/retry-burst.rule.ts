import type { RawFinding, ReconcilerRule, RuleContext } from '../reconciler.types.js';
import { ids, inJobs, int8, iso, ruleRows } from './rule-sql.js';

/** A (region, model) whose retries burst after a silence. */
interface LiveBurstRow {
  region: string;
  model_id: string;
  n: number;
  first_at: Date;
  retry_ids: string[];
}

/** A burst of an imported job's executions after a silence (`silence_ms`, `span_ms`: bigint). */
interface ImportedBurstRow {
  job_id: string;
  burst_at: Date;
  silence_from: Date;
  before: number;
  silence_ms: string;
  n: number;
  span_ms: string;
  execution_ids: string[];
  attempt_ids: string[];
}

/** Many retries of one (region, model) in a short window right after a silence (a thundering herd). */
export const retryBurstRule: ReconcilerRule = {
  id: 'retry_burst_after_silence',
  severity: 'warning',
  title: 'Retry burst after a silence',
  kind: 'live',
  explanation:
    'After a period with no attempts at all, many retries of this region and model started within a short ' +
    'window: retries scheduled during an outage or an open breaker all fired together when it ended. Check that ' +
    'backoff has jitter and that a half-open breaker lets only a few probes through.',
  async run(ctx) {
    const t = ctx.thresholds;
    const rows = await ruleRows<LiveBurstRow>(
      ctx,
      `SELECT e.region, e.model_id, count(*)::int AS n, min(a.started_at) AS first_at,
              (array_agg(a.id ORDER BY a.id))[1:$5::int] AS retry_ids
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE a.attempt > 1 AND a.started_at > now() - make_interval(secs => $2::double precision / 1000) AND ${inJobs('a.job_id')}
        GROUP BY e.region, e.model_id
       HAVING count(*) >= $3::int
          AND NOT EXISTS (SELECT 1 FROM execution_attempts b JOIN executions x ON x.id = b.execution_id
                           WHERE x.region = e.region AND x.model_id = e.model_id
                             AND b.started_at < min(a.started_at)
                             AND b.started_at >= min(a.started_at) - make_interval(secs => $4::double precision / 1000))`,
      [t.retryBurstWindowMs, t.retryBurstMin, t.retryBurstSilenceMs, t.evidenceLimit],
    );
    const live: RawFinding[] = rows.map((r) => ({
      fingerprint: `retry_burst_after_silence:${r.region}:${r.model_id}`,
      jobId: null,
      summary: `${r.model_id} × ${r.region}: ${r.n} retries within ${Math.round(t.retryBurstWindowMs / 1000)} s after ${Math.round(t.retryBurstSilenceMs / 60_000)} min without attempts`,
      evidence: { attemptIds: ids(r.retry_ids, t.evidenceLimit), retries: r.n, burstStartedAt: iso(r.first_at) },
    }));
    return [...live, ...(await importedBursts(ctx))];
  },
};

/**
 * Legacy runs (imported jobs) recorded a retry as a new execution, not as attempt 2, and are long past the live
 * window: in each imported job, look for a silence of at least {@link IMPORTED_SILENCE_MS} followed by at least
 * {@link IMPORTED_BURST_MIN} executions starting within {@link IMPORTED_WINDOW_MS}.
 */
const IMPORTED_SILENCE_MS = 60_000;
const IMPORTED_WINDOW_MS = 5_000;
const IMPORTED_BURST_MIN = 5;

async function importedBursts(ctx: RuleContext): Promise<RawFinding[]> {
  const limit = ctx.thresholds.evidenceLimit;
  const rows = await ruleRows<ImportedBurstRow>(
    ctx,
    `WITH s AS (
       SELECT a.job_id, a.id, coalesce(e.legacy_id, e.id) AS execution_id, a.started_at,
              lag(a.started_at) OVER (PARTITION BY a.job_id ORDER BY a.started_at, a.id) AS prev,
              row_number() OVER (PARTITION BY a.job_id ORDER BY a.started_at, a.id) - 1 AS before
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE e.imported AND ${inJobs('a.job_id')})
     SELECT g.job_id, g.started_at AS burst_at, g.prev AS silence_from, g.before::int AS before,
            (extract(epoch FROM g.started_at - g.prev) * 1000)::bigint AS silence_ms, count(*)::int AS n,
            (extract(epoch FROM max(x.started_at) - g.started_at) * 1000)::bigint AS span_ms,
            array_agg(x.execution_id ORDER BY x.started_at, x.id) AS execution_ids, array_agg(x.id ORDER BY x.started_at, x.id) AS attempt_ids
       FROM s g JOIN s x ON x.job_id = g.job_id AND x.started_at >= g.started_at
                        AND x.started_at < g.started_at + make_interval(secs => $3::double precision / 1000)
      WHERE g.prev IS NOT NULL AND g.started_at - g.prev >= make_interval(secs => $2::double precision / 1000)
      GROUP BY g.job_id, g.id, g.started_at, g.prev, g.before
     HAVING count(*) >= $4::int`,
    [IMPORTED_SILENCE_MS, IMPORTED_WINDOW_MS, IMPORTED_BURST_MIN],
  );
  return rows.map((r) => {
    const silenceMs = int8(r.silence_ms);
    const spanMs = int8(r.span_ms);
    return {
      fingerprint: `retry_burst_after_silence:${r.job_id}:${iso(r.burst_at)}`,
      jobId: r.job_id,
      summary:
        `job ${r.job_id}: ${r.before} executions, ${Math.round(silenceMs / 1000)} s without any, ` +
        `then ${r.n} executions within ${(spanMs / 1000).toFixed(1)} s`,
      evidence: {
        executionIds: ids(r.execution_ids, limit),
        attemptIds: ids(r.attempt_ids, limit),
        burst: r.n,
        before: r.before,
        silenceMs,
        spanMs,
        silenceFrom: iso(r.silence_from),
        burstStartedAt: iso(r.burst_at),
      },
    };
  });
}
