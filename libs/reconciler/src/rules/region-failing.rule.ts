import { CELL_SQL } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, ruleRows } from './rule-sql.js';

/** A region of a job that fails, with the other regions' counts (`failed_ids` null when it has no failed cell). */
interface RegionFailingRow {
  job_id: string;
  region: string;
  ok: number;
  failed: number;
  failed_ids: string[] | null;
  others_ok: number;
  others_total: number;
}

/** In one job, a region whose finished cells (nearly) all failed while the other regions succeed. */
export const regionFailingRule: ReconcilerRule = {
  id: 'region_failing_wholesale',
  severity: 'warning',
  title: 'A region failing wholesale',
  kind: 'jobs',
  explanation:
    "Nearly every finished cell of this region failed while the job's other regions mostly succeeded: the " +
    'cause is the region, not the questions (its endpoint, credentials, quota, or a prompt the region rejects). ' +
    "Look at last_error of the listed executions and at the region's endpoint configuration.",
  async run(ctx) {
    const t = ctx.thresholds;
    const rows = await ruleRows<RegionFailingRow>(
      ctx,
      `WITH per AS (
         SELECT job_id, region, count(*) FILTER (WHERE state = ${CELL_SQL.succeeded})::int AS ok,
                count(*) FILTER (WHERE state = ${CELL_SQL.failed})::int AS failed,
                (array_agg(id ORDER BY id) FILTER (WHERE state = ${CELL_SQL.failed}))[1:$5::int] AS failed_ids
           FROM executions WHERE state IN (${CELL_SQL.succeeded}, ${CELL_SQL.failed}) AND ${inJobs('job_id')}
          GROUP BY job_id, region)
       SELECT p.*, o.ok AS others_ok, o.total AS others_total
         FROM per p
        CROSS JOIN LATERAL (SELECT coalesce(sum(q.ok), 0)::int AS ok, coalesce(sum(q.ok + q.failed), 0)::int AS total
                              FROM per q WHERE q.job_id = p.job_id AND q.region <> p.region) o
        WHERE p.ok + p.failed >= $2::int AND p.ok::float8 / (p.ok + p.failed) <= $3::float8
          AND o.total > 0 AND o.ok::float8 / o.total >= $4::float8`,
      [t.regionFailingMinCells, t.regionFailingMaxSuccessRate, t.regionOthersMinSuccessRate, t.evidenceLimit],
    );
    return rows.map((r) => ({
      fingerprint: `region_failing_wholesale:${r.job_id}:${r.region}`,
      jobId: r.job_id,
      summary: `job ${r.job_id}: region ${r.region} ${r.failed} failed / ${r.ok} succeeded; other regions ${r.others_ok}/${r.others_total} succeeded`,
      evidence: {
        executionIds: ids(r.failed_ids, t.evidenceLimit),
        failed: r.failed,
        succeeded: r.ok,
        othersSucceeded: r.others_ok,
        othersFinished: r.others_total,
      },
    }));
  },
};
