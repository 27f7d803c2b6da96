import { OUTCOME_SQL } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { inJobs, ruleRows } from './rule-sql.js';

/** One job's calls for a region that another region's provider served (a fallback). */
interface ServedElsewhereRow {
  job_id: string;
  region: string;
  served_region: string;
  provider_kind: string | null;
  attempts: number;
  succeeded: number;
  execution_ids: string[];
}

/** How many execution ids the evidence names per group (the counts say how many there were). */
const EVIDENCE_IDS = 20;

/**
 * Calls for a cell's region that a fallback in another region served (the spec allowed it with
 * `allow_region_fallback`; without that permission the engine never makes such a call, and a row like this is a bug).
 * One finding per job, requested region and serving region, naming the cells; a warning, since the answers are
 * labelled with a region they did not come from.
 */
export const servedElsewhereRule: ReconcilerRule = {
  id: 'served_elsewhere',
  severity: 'warning',
  title: 'Answered from another region by a fallback',
  kind: 'jobs',
  explanation:
    "Calls for these cells were served by a fallback in another region (the region's fallbacks, allowed by the spec's " +
    'allow_region_fallback), so their answers come from where the serving region is, not from the region they are ' +
    'reported under: a comparison across regions must not use them as that region. The evidence names the cells; ' +
    're-run them when the region is served again, or report them with the region that served them.',
  async run(ctx) {
    const rows = await ruleRows<ServedElsewhereRow>(
      ctx,
      `SELECT e.job_id, e.region, a.served_region, max(a.provider_kind) AS provider_kind, count(*)::int AS attempts,
              count(*) FILTER (WHERE a.outcome = ${OUTCOME_SQL.succeeded})::int AS succeeded,
              (array_agg(DISTINCT e.id ORDER BY e.id))[1:${EVIDENCE_IDS}] AS execution_ids
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE a.served_region IS NOT NULL AND a.served_region <> e.region AND ${inJobs('e.job_id')}
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
    );
    return rows.map((r) => ({
      fingerprint: `served_elsewhere:${r.job_id}:${r.region}:${r.served_region}`,
      jobId: r.job_id,
      summary:
        `job ${r.job_id}: ${r.attempts} call${r.attempts === 1 ? '' : 's'} for ${r.region} served by a fallback in ` +
        `${r.served_region} (${r.succeeded} answered)`,
      evidence: {
        requestedRegion: r.region,
        servedRegion: r.served_region,
        providerKind: r.provider_kind,
        attempts: r.attempts,
        succeeded: r.succeeded,
        executionIds: r.execution_ids,
      },
    }));
  },
};
