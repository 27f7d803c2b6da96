import { CELL_SQL } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, iso, ruleRows } from './rule-sql.js';

/** Runnable cells of a (job, region, model) that nobody claims. */
interface StalledPendingRow {
  job_id: string;
  region: string;
  model_id: string;
  n: number;
  oldest: Date;
  execution_ids: string[];
}

/** Runnable cells that waited too long while no runner claimed anything of their (region, model), unless paused. */
export const stalledPendingRule: ReconcilerRule = {
  id: 'stalled_pending',
  severity: 'warning',
  title: 'Runnable cells not claimed',
  kind: 'live',
  explanation:
    'Cells of this region and model have been runnable for longer than the threshold and no attempt of ' +
    'that region and model started meanwhile: no daemon serves the region, its circuit breaker stays open, or every ' +
    "worker is busy elsewhere. Check the daemons' regions, the breaker state and the worker concurrency.",
  async run(ctx) {
    const rows = await ruleRows<StalledPendingRow>(
      ctx,
      `SELECT p.job_id, p.region, p.model_id, count(*)::int AS n, min(p.run_after) AS oldest, array_agg(p.id ORDER BY p.id) AS execution_ids
         FROM executions p
        WHERE p.state = ${CELL_SQL.pending} AND p.run_after < now() - make_interval(secs => $2::double precision / 1000)
          AND ${inJobs('p.job_id')}
          -- Cells an operator paused (their job, or their region and model) wait on purpose.
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = p.job_id AND j.paused_at IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM key_controls k WHERE k.region = p.region AND k.model_id = p.model_id AND k.paused_at IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM execution_attempts a JOIN executions x ON x.id = a.execution_id
                           WHERE a.started_at > now() - make_interval(secs => $2::double precision / 1000)
                             AND x.region = p.region AND x.model_id = p.model_id)
        GROUP BY p.job_id, p.region, p.model_id`,
      [ctx.thresholds.stalledPendingMs],
    );
    return rows.map((r) => ({
      fingerprint: `stalled_pending:${r.job_id}:${r.region}:${r.model_id}`,
      jobId: r.job_id,
      summary: `${r.n} runnable cells of ${r.model_id} × ${r.region} unclaimed since ${iso(r.oldest)}`,
      evidence: { executionIds: ids(r.execution_ids, ctx.thresholds.evidenceLimit), count: r.n, oldestRunAfter: iso(r.oldest) },
    }));
  },
};
