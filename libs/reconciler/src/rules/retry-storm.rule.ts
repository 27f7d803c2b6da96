import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, iso, ruleRows } from './rule-sql.js';

/** First attempts and retries of a (region, model) over the window (`retry_ids` null when there is no retry). */
interface RetryStormRow {
  region: string;
  model_id: string;
  first_tries: number;
  retries: number;
  first_at: Date;
  last_at: Date;
  retry_ids: string[] | null;
}

/** Per (region, model) over a recent window: retries above a fraction of first attempts. */
export const retryStormRule: ReconcilerRule = {
  id: 'retry_storm',
  severity: 'warning',
  title: 'Retry storm',
  kind: 'live',
  explanation:
    'Over the window, retries of this region and model exceed the configured fraction of first attempts: ' +
    'the upstream is failing and retries multiply the load on it. Look at the error kinds of the listed attempts, ' +
    'and check that the circuit breaker opens and backoff has jitter; reduce concurrency for the region if needed.',
  async run(ctx) {
    const t = ctx.thresholds;
    const rows = await ruleRows<RetryStormRow>(
      ctx,
      `SELECT e.region, e.model_id,
              count(*) FILTER (WHERE a.attempt = 1)::int AS first_tries, count(*) FILTER (WHERE a.attempt > 1)::int AS retries,
              min(a.started_at) AS first_at, max(a.started_at) AS last_at,
              (array_agg(a.id ORDER BY a.id DESC) FILTER (WHERE a.attempt > 1))[1:$5::int] AS retry_ids
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE a.started_at > now() - make_interval(secs => $2::double precision / 1000) AND ${inJobs('a.job_id')}
        GROUP BY e.region, e.model_id
       HAVING count(*) FILTER (WHERE a.attempt > 1) > $3::float8 * greatest(count(*) FILTER (WHERE a.attempt = 1), $4::int)`,
      [t.retryStormWindowMs, t.retryStormFraction, t.retryStormMinFirst, t.evidenceLimit],
    );
    return rows.map((r) => ({
      fingerprint: `retry_storm:${r.region}:${r.model_id}`,
      jobId: null,
      summary: `${r.model_id} × ${r.region}: ${r.retries} retries vs ${r.first_tries} first attempts in the last ${Math.round(t.retryStormWindowMs / 60_000)} min`,
      evidence: {
        attemptIds: ids(r.retry_ids, t.evidenceLimit),
        retries: r.retries,
        firstAttempts: r.first_tries,
        firstAt: iso(r.first_at),
        lastAt: iso(r.last_at),
      },
    }));
  },
};
