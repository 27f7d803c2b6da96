import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, iso, ruleRows } from './rule-sql.js';

/** Many retries of one (region, model) in a short window right after a silence (a thundering herd). */
export const retryBurstRule: ReconcilerRule = {
  id: 'retry_burst_after_silence',
  severity: 'warning',
  title: 'Retry burst after a silence',
  kind: 'live',
  explanation: 'After a period with no attempts at all, many retries of this region and model started within a short '
    + 'window: retries scheduled during an outage or an open breaker all fired together when it ended. Check that '
    + 'backoff has jitter and that a half-open breaker lets only a few probes through.',
  async run(ctx) {
    const t = ctx.thresholds;
    const rows = await ruleRows(ctx,
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
      [t.retryBurstWindowMs, t.retryBurstMin, t.retryBurstSilenceMs, t.evidenceLimit]);
    return rows.map((r) => ({
      fingerprint: `retry_burst_after_silence:${r.region}:${r.model_id}`,
      jobId: null,
      summary: `${r.model_id} × ${r.region}: ${r.n} retries within ${Math.round(t.retryBurstWindowMs / 1000)} s after ${Math.round(t.retryBurstSilenceMs / 60_000)} min without attempts`,
      evidence: { attemptIds: ids(r.retry_ids, t.evidenceLimit), retries: r.n, burstStartedAt: iso(r.first_at) },
    }));
  },
};
