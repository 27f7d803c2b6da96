import type { CellKeyFields } from '@beacon/db';
import { cellKeySql } from '@beacon/domain';
import type { ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, int8, iso, ruleRows } from './rule-sql.js';

/** One cell with several (not superseded) executions. */
interface DuplicateCellRow extends CellKeyFields {
  n: number;
  execution_ids: string[];
  first_at: Date;
  last_at: Date;
  gap_ms: string;
  responses: number;
  classifications: number;
}

/** More than one executions row for one cell (possible only for imported rows: planned cells are unique). */
export const duplicateCellRule: ReconcilerRule = {
  id: 'duplicate_cell',
  severity: 'critical',
  title: 'Cell executed more than once',
  kind: 'jobs',
  explanation:
    'One (job, question, model, region, variant, replicate) cell has several execution rows. Beacon plans each cell ' +
    'once, so these come from an imported legacy run that executed the cell twice; when the copies disagree the ' +
    "job's answer for that cell is ambiguous. Report one of them explicitly or rerun the cell; `beacon reconcile --fix` " +
    'keeps the earliest succeeded copy and marks the others superseded_by it (cells whose copies are all but one superseded are not reported).',
  async run(ctx) {
    const rows = await ruleRows<DuplicateCellRow>(
      ctx,
      `SELECT e.job_id, e.question_id, e.model_id, e.region, e.variant, e.replicate, count(*)::int AS n,
              array_agg(coalesce(e.legacy_id, e.id) ORDER BY coalesce(e.started_at, e.created_at), e.id) AS execution_ids,
              min(coalesce(e.started_at, e.created_at)) AS first_at, max(coalesce(e.started_at, e.created_at)) AS last_at,
              (extract(epoch FROM max(coalesce(e.started_at, e.created_at)) - min(coalesce(e.started_at, e.created_at))) * 1000)::bigint AS gap_ms,
              count(DISTINCT coalesce(e.response, ''))::int AS responses,
              count(DISTINCT coalesce(e.classification, ''))::int AS classifications
         FROM executions e
        -- Planned rows cannot share a key (the partial unique index executions_cell_key); only imported ones can.
        WHERE ${inJobs('e.job_id')} AND e.imported
        GROUP BY ${cellKeySql('e')}
       HAVING count(*) FILTER (WHERE e.superseded_by IS NULL) > 1`,
    );
    return rows.map((r) => {
      const gapMs = int8(r.gap_ms);
      const differ = r.responses > 1;
      return {
        // The default variant keeps the fingerprint findings had before variants existed.
        fingerprint: `duplicate_cell:${r.job_id}:${r.question_id}:${r.model_id}:${r.region}${r.variant ? `:${r.variant}` : ''}:${r.replicate}`,
        jobId: r.job_id,
        summary:
          `job ${r.job_id}: cell (${r.region}, ${r.model_id}, ${r.question_id}${r.variant ? `, ${r.variant}` : ''}) ran ${r.n} times, ` +
          `${Math.floor(gapMs / 60_000)} min ${Math.round((gapMs % 60_000) / 1000)} s apart${differ ? ', with different responses' : ''}`,
        evidence: {
          executionIds: ids(r.execution_ids, ctx.thresholds.evidenceLimit),
          count: r.n,
          gapMs,
          firstAt: iso(r.first_at),
          lastAt: iso(r.last_at),
          responsesDiffer: differ,
          classificationsDiffer: r.classifications > 1,
          questionId: r.question_id,
          modelId: r.model_id,
          region: r.region,
          ...(r.variant ? { variant: r.variant } : {}),
          replicate: r.replicate,
        },
      };
    });
  },
};
