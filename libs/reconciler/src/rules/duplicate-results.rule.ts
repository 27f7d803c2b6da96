import { type CellKeyColumns, OUTCOME_SQL } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, iso, ruleRows } from './rule-sql.js';

/** An execution with more than one succeeded attempt. */
interface DuplicateResultsRow extends CellKeyColumns {
  result_attempt: number | null;
  attempt_ids: string[];
  n: number;
  first_end: Date | null;
  last_end: Date | null;
}

/** More than one succeeded attempt for one execution: two results were produced for one cell. */
export const duplicateResultsRule: ReconcilerRule = {
  id: 'duplicate_results',
  severity: 'critical',
  title: 'More than one result for a cell',
  kind: 'jobs',
  explanation:
    'Two or more provider calls of one cell ended as succeeded, so the cell has more than one result and ' +
    'the exactly-once promise was broken (a fence did not hold). Compare the attempts listed in the evidence, keep ' +
    'the one named by executions.result_attempt, and look for a runner that wrote without a valid lease token.',
  async run(ctx) {
    const rows = await ruleRows<DuplicateResultsRow>(
      ctx,
      `SELECT e.id, e.job_id, e.question_id, e.model_id, e.region, e.variant, e.replicate, e.result_attempt,
              array_agg(a.id ORDER BY a.id) AS attempt_ids, count(*)::int AS n, min(a.ended_at) AS first_end, max(a.ended_at) AS last_end
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE a.outcome = ${OUTCOME_SQL.succeeded} AND ${inJobs('a.job_id')}
        GROUP BY e.id HAVING count(*) > 1`,
    );
    return rows.map((r) => ({
      // The default variant keeps the fingerprint findings had before variants existed.
      fingerprint: `duplicate_results:${r.job_id}:${r.question_id}:${r.model_id}:${r.region}${r.variant ? `:${r.variant}` : ''}:${r.replicate}`,
      jobId: r.job_id,
      summary: `execution ${r.id} (${r.question_id} × ${r.model_id} × ${r.region}${r.variant ? ` × ${r.variant}` : ''}) has ${r.n} succeeded attempts`,
      evidence: {
        executionIds: [r.id],
        attemptIds: ids(r.attempt_ids, ctx.thresholds.evidenceLimit),
        count: r.n,
        resultAttempt: r.result_attempt,
        firstEndedAt: iso(r.first_end),
        lastEndedAt: iso(r.last_end),
      },
    }));
  },
};
