import { CELL_SQL } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { inJobs, iso, ruleRows } from './rule-sql.js';

/** A running cell whose lease expired long ago. */
interface StuckRunningRow {
  id: string;
  job_id: string;
  question_id: string;
  model_id: string;
  region: string;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  attempts: number;
}

/** Running cells whose lease expired long ago and that nobody rescued. */
export const stuckRunningRule: ReconcilerRule = {
  id: 'stuck_running',
  severity: 'critical',
  title: 'Running cell with an expired lease',
  kind: 'live',
  explanation:
    'The cell is still running but its lease expired well past the reaper grace, so no daemon is reaping ' +
    'expired leases (all daemons down, the reaper failing, or the database clock jumped). Check that a daemon is up ' +
    'and its logs for reaper errors; the cell returns to the queue at the next successful reap.',
  async run(ctx) {
    const rows = await ruleRows<StuckRunningRow>(
      ctx,
      `SELECT id, job_id, question_id, model_id, region, lease_owner, lease_expires_at, attempts
         FROM executions
        WHERE state = ${CELL_SQL.running} AND lease_expires_at < now() - make_interval(secs => $2::double precision / 1000)
          AND ${inJobs('job_id')}
        ORDER BY lease_expires_at`,
      [ctx.thresholds.stuckRunningMs],
    );
    return rows.map((r) => ({
      fingerprint: `stuck_running:${r.id}`,
      jobId: r.job_id,
      summary: `execution ${r.id} (${r.question_id} × ${r.model_id} × ${r.region}) running on ${r.lease_owner}, lease expired ${iso(r.lease_expires_at)}`,
      evidence: { executionIds: [r.id], leaseOwner: r.lease_owner, leaseExpiresAt: iso(r.lease_expires_at), attempt: r.attempts },
    }));
  },
};
