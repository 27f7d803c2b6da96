import { ACTIVE_JOB_STATUSES_SQL, BATCH_MODE_ROW, parseJobStatus, specAxesSql } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { boundedCells, inJobs, iso, ruleRows, someCells, type CellKey } from './rule-sql.js';

/** A finished job with cells of its spec that no execution row holds. */
interface MissingCellsRow {
  id: string;
  status: string;
  finished_at: Date | null;
  reps: number;
  /** The cells the spec plans (distinct questions × models × regions × variants × repeats). */
  expected: number;
  /** How many are missing (exact), and the first `evidenceLimit` of them in key order. */
  n: number;
  cells: CellKey[];
}

/**
 * A finished job whose spec plans cells that no (not superseded) execution row holds: the spec's cell set minus the
 * stored keys, compared as sets, so duplicates and rows outside the spec (which are `duplicate_cell`'s and
 * `out_of_spec`'s) neither hide a missing cell nor stand in for one. An imported batch-mode row (no question of its own)
 * holds every question of the spec at its model, region and replicate, as `IN_SPEC` counts its question as listed;
 * that those questions were not asked one by one is `batch_mode`'s finding. A job whose spec does not list its axes as
 * arrays cannot be compared cell by cell and is skipped (as `out_of_spec` skips it).
 */
export const missingCellsRule: ReconcilerRule = {
  id: 'missing_cells',
  severity: 'critical',
  title: 'Finished job with missing cells',
  kind: 'jobs',
  explanation:
    'The job is finished but cells its spec plans (questions × models × regions × variants × repeats) have no execution row; ' +
    'the evidence names them (cells, the first of them when very many; count, all of them). Work was lost between ' +
    'planning and enqueueing, rows were deleted, or an imported legacy run never ran them (however many other rows it ' +
    'has). Their comparisons are incomplete; resubmit the spec (enqueueing is idempotent and adds only the missing ' +
    'cells) and look for manual deletes.',
  async run(ctx) {
    const rows = await ruleRows<MissingCellsRow>(
      ctx,
      `WITH s AS MATERIALIZED (${specAxesSql(`j.status NOT IN ${ACTIVE_JOB_STATUSES_SQL} AND ${inJobs('j.id')}`)})
       SELECT s.id, j.status, j.finished_at, s.reps, m.n, m.cells,
              ((SELECT count(DISTINCT v) FROM unnest(s.qs) v) * (SELECT count(DISTINCT v) FROM unnest(s.ms) v)
                * (SELECT count(DISTINCT v) FROM unnest(s.rs) v) * (SELECT count(DISTINCT v) FROM unnest(s.vs) v)
                * greatest(s.reps, 0))::int AS expected
         FROM s JOIN jobs j ON j.id = s.id
        CROSS JOIN LATERAL (${boundedCells(
          // The spec's cells, except the keys its stored rows hold (a batch-mode row holds every question of the spec).
          `SELECT q, m, r, v, rep
             FROM unnest(s.qs) q, unnest(s.ms) m, unnest(s.rs) r, unnest(s.vs) v, generate_series(0, s.reps - 1) rep
           EXCEPT
           SELECT bq.q, e.model_id, e.region, e.variant, e.replicate
             FROM executions e
            CROSS JOIN LATERAL unnest(CASE WHEN ${BATCH_MODE_ROW} THEN s.qs ELSE ARRAY[e.question_id] END) bq(q)
            WHERE e.job_id = s.id AND e.superseded_by IS NULL`,
          '$2',
        )}) m
        WHERE m.n > 0`,
      [ctx.thresholds.evidenceLimit],
    );
    return rows.map((r) => {
      const status = parseJobStatus(r.status);
      return {
        fingerprint: `missing_cells:${r.id}`,
        jobId: r.id,
        summary: `job ${r.id} (${status}): ${r.n} of the ${r.expected} cells its spec plans have no execution: ${someCells(r.cells, r.n, r.reps)}`,
        evidence: { cells: r.cells, count: r.n, expected: r.expected, status, finishedAt: iso(r.finished_at) },
      };
    });
  },
};
