import type { NormalisedJobSpec } from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { query } from './query.js';

/** The facts a job's status is rolled up from. */
export interface ActiveJobFacts {
  jobId: string;
  status: string;
  counts: Record<string, number>;
  succeededRegions: number;
  started: boolean;
  cancelled: boolean;
  minRegions: number;
  minSuccessRate: number;
}

/** Outcome of a cancel request. */
export interface CancelOutcome {
  found: boolean;
  previousStatus: string | null;
  pendingCancelled: number;
  running: number;
  /** The cancelled pending cells by region and model. */
  cancelledByKey: { region: string; modelId: string; count: number }[];
}

type Row = Record<string, unknown>;

/** Job lifecycle: specs for workers, status roll-up, cancellation. */
export class LifecycleRepository {
  constructor(private readonly ds: DataSource) {}

  /** The normalised spec of a job (prompt template, questions, parameters) and its submission's traceparent, or null. */
  async jobSpec(jobId: string): Promise<{ spec: NormalisedJobSpec; traceparent: string | null } | null> {
    const rows: Row[] = await query(this.ds, 'SELECT spec, traceparent FROM jobs WHERE id = $1', [jobId]);
    const row = rows[0];
    return row ? { spec: row.spec as NormalisedJobSpec, traceparent: (row.traceparent as string | null) ?? null } : null;
  }

  /** Counts of every job that is not finished yet (or finished but changed since), for the status roll-up. */
  async activeJobs(): Promise<ActiveJobFacts[]> {
    const rows: Row[] = await query(this.ds, 
      `SELECT j.id, j.status, j.cancel_requested_at IS NOT NULL AS cancelled,
              (j.spec->'constraints'->>'minRegions')::int AS min_regions,
              (j.spec->'constraints'->>'minSuccessRate')::float8 AS min_success_rate,
              c.by_state, c.succeeded_regions, c.started
         FROM jobs j
         CROSS JOIN LATERAL (
           SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb) AS by_state,
                  coalesce(max(s.regions), 0) AS succeeded_regions, coalesce(bool_or(s.started), false) AS started
             FROM (SELECT state, count(*)::int AS n, bool_or(attempts > 0) AS started,
                          count(DISTINCT region) FILTER (WHERE state = 'succeeded')::int AS regions
                     FROM executions e WHERE e.job_id = j.id GROUP BY state) s) c
        WHERE j.status IN ('queued', 'running')`,
    );
    return rows.map((r) => ({
      jobId: String(r.id),
      status: String(r.status),
      counts: r.by_state as Record<string, number>,
      succeededRegions: Number(r.succeeded_regions),
      started: Boolean(r.started),
      cancelled: Boolean(r.cancelled),
      minRegions: Number(r.min_regions ?? 1),
      minSuccessRate: Number(r.min_success_rate ?? 0.67),
    }));
  }

  /** Moves a job to `status` if it is still active; stamps started / finished times. */
  async setStatus(jobId: string, status: string, terminal: boolean): Promise<boolean> {
    const rows: Row[] = await query(this.ds, 
      `UPDATE jobs SET status = $2, updated_at = now(),
              started_at = CASE WHEN $2 <> 'queued' THEN coalesce(started_at, now()) ELSE started_at END,
              finished_at = CASE WHEN $3 THEN now() ELSE NULL END
        WHERE id = $1 AND status IN ('queued', 'running') AND status <> $2
       RETURNING id`,
      [jobId, status, terminal],
    );
    return rows.length > 0;
  }

  /** Marks a job cancelled-requested and cancels its pending cells; running cells stop at their next heartbeat. */
  async cancel(jobId: string): Promise<CancelOutcome> {
    return this.ds.transaction(async (tx) => {
      const jobs: Row[] = await query(tx, 
        `UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
          WHERE id = $1 RETURNING (SELECT status FROM jobs WHERE id = $1) AS previous`, [jobId]);
      if (jobs.length === 0) return { found: false, previousStatus: null, pendingCancelled: 0, running: 0, cancelledByKey: [] };
      const previous = String(jobs[0]!.previous);
      if (!['queued', 'running'].includes(previous)) return { found: true, previousStatus: previous, pendingCancelled: 0, running: 0, cancelledByKey: [] };
      const byKey: Row[] = await query(tx,
        `WITH c AS (UPDATE executions SET state = 'cancelled', finished_at = now(), updated_at = now()
                     WHERE job_id = $1 AND state = 'pending' RETURNING region, model_id)
         SELECT region, model_id, count(*)::int AS n FROM c GROUP BY 1, 2`, [jobId]);
      const cancelledByKey = byKey.map((r) => ({ region: String(r.region), modelId: String(r.model_id), count: Number(r.n) }));
      const pending = { n: cancelledByKey.reduce((a, k) => a + k.count, 0) };
      const [running]: Row[] = await query(tx, 
        `SELECT count(*)::int AS n FROM executions WHERE job_id = $1 AND state = 'running'`, [jobId]);
      if (Number(running!.n) === 0) {
        await query(tx, `UPDATE jobs SET status = 'cancelled', finished_at = now(), updated_at = now() WHERE id = $1`, [jobId]);
      }
      return { found: true, previousStatus: previous, pendingCancelled: pending.n, running: Number(running!.n), cancelledByKey };
    });
  }
}
