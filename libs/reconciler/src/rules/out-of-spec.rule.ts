import { IN_SPEC, specAxesSql } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { boundedCells, ids, inJobs, ruleRows, type CellKey } from './rule-sql.js';

/** A job's cells outside its spec; the axes lists are null when no cell is off on that axis. */
interface OutOfSpecRow {
  job_id: string;
  n: number;
  execution_ids: string[];
  questions: string[] | null;
  models: string[] | null;
  regions: string[] | null;
  variants: string[] | null;
  bad_replicates: number;
  /** The distinct cells of those executions: how many, and the first `evidenceLimit` in key order. */
  cell_count: number;
  cells: CellKey[];
}

/**
 * Executions whose question, model, region, variant or replicate the job's spec does not list: the stored cells outside the
 * spec's cell set, each named once however many copies it has (the other side of `missing_cells`, which names the
 * spec's cells no row holds; a cell is never both).
 */
export const outOfSpecRule: ReconcilerRule = {
  id: 'out_of_spec',
  severity: 'critical',
  title: 'Work outside the job spec',
  kind: 'jobs',
  explanation:
    'The job has cells for a question, model, region, variant or replicate its frozen spec does not list, so ' +
    'something other than the planner wrote them (a manual insert, a bug in an import, or a spec edited in place). ' +
    'The evidence names those cells (cells, the first of them when very many; cellCount, all of them) and their ' +
    'executions. Those results must not be reported with the job; find where the rows came from before trusting the job.',
  async run(ctx) {
    const rows = await ruleRows<OutOfSpecRow>(
      ctx,
      // "Out of spec" as LifecycleRepository.cancelOutOfSpec repairs it: the same axes and the same test per axis.
      `WITH s AS MATERIALIZED (${specAxesSql(inJobs('j.id'))}),
       o AS MATERIALIZED (
         SELECT e.job_id, e.id, e.legacy_id, e.question_id, e.model_id, e.region, e.variant, e.replicate, c.*
           -- The spec's axes as arrays, computed once per job (not a JSON walk per execution).
           FROM executions e JOIN s ON s.id = e.job_id
          CROSS JOIN LATERAL (SELECT
             ${IN_SPEC.question} AS q_ok, ${IN_SPEC.model} AS m_ok, ${IN_SPEC.region} AS r_ok, ${IN_SPEC.variant} AS v_ok,
             ${IN_SPEC.replicate} AS rep_ok) c
          WHERE NOT (q_ok AND m_ok AND r_ok AND v_ok AND rep_ok))
       SELECT g.*, k.n AS cell_count, k.cells
         FROM (SELECT o.job_id, count(*)::int AS n, array_agg(coalesce(o.legacy_id, o.id) ORDER BY o.id) AS execution_ids,
                      array_agg(DISTINCT o.question_id) FILTER (WHERE NOT q_ok) AS questions,
                      array_agg(DISTINCT o.model_id) FILTER (WHERE NOT m_ok) AS models,
                      array_agg(DISTINCT o.region) FILTER (WHERE NOT r_ok) AS regions,
                      array_agg(DISTINCT o.variant) FILTER (WHERE NOT v_ok) AS variants,
                      count(*) FILTER (WHERE NOT rep_ok)::int AS bad_replicates
                 FROM o GROUP BY o.job_id) g
        -- Every cell (key) those executions hold, named: several copies of one are one cell.
        CROSS JOIN LATERAL (${boundedCells(
          'SELECT DISTINCT o.question_id, o.model_id, o.region, o.variant, o.replicate FROM o WHERE o.job_id = g.job_id',
          '$2',
        )}) k`,
      [ctx.thresholds.evidenceLimit],
    );
    return rows.map((r) => {
      const questions = r.questions ?? [];
      const models = r.models ?? [];
      const regions = r.regions ?? [];
      const variants = r.variants ?? [];
      const badReplicates = r.bad_replicates;
      const what = [
        questions.length && `questions ${questions.join(', ')}`,
        models.length && `models ${models.join(', ')}`,
        regions.length && `regions ${regions.join(', ')}`,
        variants.length && `variants ${variants.map((v) => JSON.stringify(v)).join(', ')}`,
        badReplicates > 0 && `${badReplicates} replicates`,
      ].filter(Boolean);
      return {
        fingerprint: `out_of_spec:${r.job_id}`,
        jobId: r.job_id,
        summary: `job ${r.job_id}: ${r.n} executions in ${r.cell_count} cells outside the spec (${what.join('; ')})`,
        evidence: {
          executionIds: ids(r.execution_ids, ctx.thresholds.evidenceLimit),
          count: r.n,
          cells: r.cells,
          cellCount: r.cell_count,
          questions,
          models,
          regions,
          // Only when some are off, so that findings of jobs without variants keep their evidence as it was.
          ...(variants.length > 0 ? { variants } : {}),
          badReplicates,
        },
      };
    });
  },
};
