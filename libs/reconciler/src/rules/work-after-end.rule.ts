import { parseJobStatus } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, iso, ruleRows } from './rule-sql.js';

/** A finished job with attempts that started after it finished. */
interface WorkAfterEndRow {
  id: string;
  status: string;
  finished_at: Date;
  n: number;
  attempt_ids: string[];
  execution_ids: string[];
  last_start: Date;
}

/** Provider calls that started after their job had finished. */
export const workAfterEndRule: ReconcilerRule = {
  id: 'work_after_job_end',
  severity: 'warning',
  title: 'Work after the job ended',
  kind: 'jobs',
  explanation:
    'Attempts started after the job reached its final status, so the job was declared finished too early ' +
    '(its status rolled up while cells were still runnable) or a runner kept working a cancelled job. The results ' +
    "of these attempts are not in the job's report; check the status roll-up and cancellation handling.",
  async run(ctx) {
    const rows = await ruleRows<WorkAfterEndRow>(
      ctx,
      `SELECT j.id, j.status, j.finished_at, count(*)::int AS n, array_agg(a.id ORDER BY a.id) AS attempt_ids,
              array_agg(DISTINCT a.execution_id) AS execution_ids, max(a.started_at) AS last_start
         FROM jobs j JOIN execution_attempts a ON a.job_id = j.id
        WHERE j.finished_at IS NOT NULL AND ${inJobs('j.id')}
          AND a.started_at > j.finished_at + make_interval(secs => $2::double precision / 1000)
        GROUP BY j.id`,
      [ctx.thresholds.workAfterEndGraceMs],
    );
    const limit = ctx.thresholds.evidenceLimit;
    return rows.map((r) => ({
      fingerprint: `work_after_job_end:${r.id}`,
      jobId: r.id,
      summary: `job ${r.id} ${parseJobStatus(r.status)} at ${iso(r.finished_at)}, ${r.n} attempts started after`,
      evidence: {
        attemptIds: ids(r.attempt_ids, limit),
        executionIds: ids(r.execution_ids, limit),
        count: r.n,
        jobFinishedAt: iso(r.finished_at),
        lastStartedAt: iso(r.last_start),
      },
    }));
  },
};
