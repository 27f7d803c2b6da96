import { IN_SPEC, specAxesSql } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, ruleRows } from './rule-sql.js';

/** A job's cells outside its spec; the axes lists are null when no cell is off on that axis. */
interface OutOfSpecRow {
  job_id: string;
  n: number;
  execution_ids: string[];
  questions: string[] | null;
  models: string[] | null;
  regions: string[] | null;
  bad_replicates: number;
}

/** Executions whose question, model, region or replicate the job's spec does not list. */
export const outOfSpecRule: ReconcilerRule = {
  id: 'out_of_spec',
  severity: 'critical',
  title: 'Work outside the job spec',
  kind: 'jobs',
  explanation:
    'The job has cells for a question, model, region or replicate its frozen spec does not list, so ' +
    'something other than the planner wrote them (a manual insert, a bug in an import, or a spec edited in place). ' +
    'Those results must not be reported with the job; find where the rows came from before trusting the job.',
  async run(ctx) {
    const rows = await ruleRows<OutOfSpecRow>(
      ctx,
      // "Out of spec" as LifecycleRepository.cancelOutOfSpec repairs it: the same axes and the same test per axis.
      `WITH s AS MATERIALIZED (${specAxesSql(inJobs('j.id'))})
       SELECT e.job_id, count(*)::int AS n, array_agg(coalesce(e.legacy_id, e.id) ORDER BY e.id) AS execution_ids,
              array_agg(DISTINCT e.question_id) FILTER (WHERE NOT q_ok) AS questions,
              array_agg(DISTINCT e.model_id) FILTER (WHERE NOT m_ok) AS models,
              array_agg(DISTINCT e.region) FILTER (WHERE NOT r_ok) AS regions,
              count(*) FILTER (WHERE NOT rep_ok)::int AS bad_replicates
         -- The spec's axes as arrays, computed once per job (not a JSON walk per execution).
         FROM executions e JOIN s ON s.id = e.job_id
        CROSS JOIN LATERAL (SELECT
           ${IN_SPEC.question} AS q_ok, ${IN_SPEC.model} AS m_ok, ${IN_SPEC.region} AS r_ok, ${IN_SPEC.replicate} AS rep_ok) c
        WHERE NOT (q_ok AND m_ok AND r_ok AND rep_ok)
        GROUP BY e.job_id`,
    );
    return rows.map((r) => {
      const questions = r.questions ?? [];
      const models = r.models ?? [];
      const regions = r.regions ?? [];
      const badReplicates = r.bad_replicates;
      const what = [
        questions.length && `questions ${questions.join(', ')}`,
        models.length && `models ${models.join(', ')}`,
        regions.length && `regions ${regions.join(', ')}`,
        badReplicates > 0 && `${badReplicates} replicates`,
      ].filter(Boolean);
      return {
        fingerprint: `out_of_spec:${r.job_id}`,
        jobId: r.job_id,
        summary: `job ${r.job_id}: ${r.n} cells outside the spec (${what.join('; ')})`,
        evidence: {
          executionIds: ids(r.execution_ids, ctx.thresholds.evidenceLimit),
          count: r.n,
          questions,
          models,
          regions,
          badReplicates,
        },
      };
    });
  },
};
