import { CELL_SQL } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, ruleRows } from './rule-sql.js';

/** One response text a model gave to several questions of a job. */
interface IdenticalResponsesRow {
  job_id: string;
  model_id: string;
  digest: string;
  sample: string;
  questions: number;
  n: number;
  execution_ids: string[];
}

/** One model answering different questions of a job with the very same text. */
export const identicalResponsesRule: ReconcilerRule = {
  id: 'identical_responses',
  severity: 'info',
  title: 'Identical responses to different questions',
  kind: 'jobs',
  explanation:
    'The same model returned byte-identical responses to different questions of the job: a cached or ' +
    'canned answer (a gateway error page, a refusal template, a proxy cache) rather than a real completion. Read ' +
    'the response of one listed execution; if it is not a real answer, treat these cells as failed and rerun them.',
  async run(ctx) {
    const t = ctx.thresholds;
    const rows = await ruleRows<IdenticalResponsesRow>(
      ctx,
      `SELECT job_id, model_id, md5(response) AS digest, left(response, 80) AS sample,
              count(DISTINCT question_id)::int AS questions, count(*)::int AS n, array_agg(id ORDER BY id) AS execution_ids
         FROM executions
        WHERE state = ${CELL_SQL.succeeded} AND length(response) >= $2::int AND ${inJobs('job_id')}
        GROUP BY job_id, model_id, md5(response), left(response, 80)
       HAVING count(DISTINCT question_id) > 1`,
      [t.identicalResponseMinLength],
    );
    return rows.map((r) => ({
      fingerprint: `identical_responses:${r.job_id}:${r.model_id}:${r.digest}`,
      jobId: r.job_id,
      summary: `job ${r.job_id}: ${r.model_id} gave the same response to ${r.questions} questions: ${JSON.stringify(r.sample)}`,
      evidence: { executionIds: ids(r.execution_ids, t.evidenceLimit), count: r.n, questions: r.questions, responseMd5: r.digest },
    }));
  },
};
