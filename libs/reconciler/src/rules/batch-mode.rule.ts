import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, ruleRows } from './rule-sql.js';

/** Batch-mode executions of one job, and how many questions its spec lists. */
interface BatchModeRow {
  job_id: string;
  n: number;
  execution_ids: string[];
  questions: number;
}

/** Imported executions without a question in a job whose spec lists questions (the Go runner's batch mode). */
export const batchModeRule: ReconcilerRule = {
  id: 'batch_mode',
  severity: 'warning',
  title: 'Batch-mode executions',
  kind: 'jobs',
  explanation:
    "The legacy runner sent all of the job's questions in one prompt (question_id null) although the " +
    'spec lists questions: the per-question cells were never run as such, so answers cannot be compared question ' +
    'by question. Rerun the spec in Beacon to get one cell per question.',
  async run(ctx) {
    const rows = await ruleRows<BatchModeRow>(
      ctx,
      `SELECT e.job_id, count(*)::int AS n, array_agg(coalesce(e.legacy_id, e.id) ORDER BY e.id) AS execution_ids,
              jsonb_array_length(j.spec->'questions') AS questions
         FROM executions e JOIN jobs j ON j.id = e.job_id
        WHERE ${inJobs('e.job_id')} AND e.imported AND e.legacy_question_id IS NULL
          AND jsonb_typeof(j.spec->'questions') = 'array' AND jsonb_array_length(j.spec->'questions') > 0
        GROUP BY e.job_id, j.spec`,
    );
    return rows.map((r) => ({
      fingerprint: `batch_mode:${r.job_id}`,
      jobId: r.job_id,
      summary: `job ${r.job_id}: ${r.n} batch-mode executions (no question) although the spec lists ${r.questions} questions`,
      evidence: { executionIds: ids(r.execution_ids, ctx.thresholds.evidenceLimit), count: r.n, specQuestions: r.questions },
    }));
  },
};
