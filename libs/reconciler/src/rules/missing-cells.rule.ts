import { ACTIVE_JOB_STATUSES_SQL, parseJobStatus } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { inJobs, iso, ruleRows } from './rule-sql.js';

/** A finished job and how many cells it has. */
interface MissingCellsRow {
  id: string;
  status: string;
  cells_expected: number;
  finished_at: Date | null;
  actual: number;
}

/** A job that is no longer queued or running with a different number of cells than its spec asks. */
export const missingCellsRule: ReconcilerRule = {
  id: 'missing_cells',
  severity: 'critical',
  title: 'Finished job with missing cells',
  kind: 'jobs',
  explanation:
    'The job is finished but has fewer execution rows than its spec plans (questions × models × regions × ' +
    'repeats): work was lost between planning and enqueueing, or rows were deleted. Its results are incomplete; ' +
    'resubmit the spec (enqueueing is idempotent and adds only the missing cells) and look for manual deletes.',
  async run(ctx) {
    const rows = await ruleRows<MissingCellsRow>(
      ctx,
      `SELECT j.id, j.status, j.cells_expected, j.finished_at, (SELECT count(*)::int FROM executions e WHERE e.job_id = j.id) AS actual
         FROM jobs j
        WHERE j.status NOT IN ${ACTIVE_JOB_STATUSES_SQL} AND ${inJobs('j.id')}
          AND (SELECT count(*) FROM executions e WHERE e.job_id = j.id) <> j.cells_expected`,
    );
    return rows.map((r) => {
      const status = parseJobStatus(r.status);
      return {
        fingerprint: `missing_cells:${r.id}`,
        jobId: r.id,
        summary: `job ${r.id} (${status}) has ${r.actual} cells, its spec asks for ${r.cells_expected}`,
        evidence: { expected: r.cells_expected, actual: r.actual, status, finishedAt: iso(r.finished_at) },
      };
    });
  },
};
