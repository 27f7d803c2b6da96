import type { ReconcilerRule } from '../reconciler.types.js';
import { inJobs, ruleRows } from './rule-sql.js';

/** One job's attempts whose provider reported a region outside the configured list. */
interface RegionMismatchRow {
  job_id: string;
  region: string;
  served_region: string | null;
  provider_kind: string | null;
  region_observed: string;
  allowed: string[];
  attempts: number;
  execution_ids: string[];
}

/** How many execution ids the evidence names per group (the count says how many there were). */
const EVIDENCE_IDS = 20;

/**
 * Attempts where the provider said the call ran somewhere the region's configuration does not accept
 * (`region_observed` not in `provider.observedRegions` as configured when the call was made). One finding per job,
 * requested region, served region and observed value. Attempts with nothing observed, or a region configured with no
 * list, are not judged: absence of evidence is not a mismatch.
 */
export const regionMismatchRule: ReconcilerRule = {
  id: 'region_mismatch',
  severity: 'critical',
  title: 'Served somewhere other than the region asked for',
  kind: 'jobs',
  explanation:
    "The provider reported (in a response header or field) that calls ran in a region outside the list configured for the cell's " +
    'region (regions.<id>.provider.observedRegions), so these answers may not be what that region serves: the comparison ' +
    'across regions is in doubt for these cells. Check the endpoint and deployment type (a global or cross-region profile ' +
    'routes anywhere), pin a regional endpoint, and re-run the cells named in the evidence.',
  async run(ctx) {
    // Grouped by what the fingerprint names (job, region, serving region, observed value); the lists accepted at the
    // time may differ between calls of a group (a configuration changed mid-job): the evidence names their union.
    const rows = await ruleRows<RegionMismatchRow>(
      ctx,
      `WITH m AS MATERIALIZED (
         SELECT e.job_id, e.region, a.served_region, a.region_observed, a.provider_kind, a.region_observed_allowed, e.id
           FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
          WHERE a.region_observed IS NOT NULL AND cardinality(a.region_observed_allowed) > 0
            AND NOT (a.region_observed = ANY (a.region_observed_allowed))
            AND ${inJobs('e.job_id')})
       SELECT m.job_id, m.region, m.served_region, m.region_observed, max(m.provider_kind) AS provider_kind,
              count(*)::int AS attempts, (array_agg(DISTINCT m.id ORDER BY m.id))[1:${EVIDENCE_IDS}] AS execution_ids,
              (SELECT array_agg(DISTINCT v ORDER BY v)
                 FROM m m2 CROSS JOIN LATERAL unnest(m2.region_observed_allowed) v
                WHERE m2.job_id = m.job_id AND m2.region = m.region AND m2.served_region IS NOT DISTINCT FROM m.served_region
                  AND m2.region_observed = m.region_observed) AS allowed
         FROM m
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4`,
    );
    return rows.map((r) => ({
      fingerprint: `region_mismatch:${r.job_id}:${r.region}:${r.served_region ?? ''}:${r.region_observed}`,
      jobId: r.job_id,
      summary:
        `job ${r.job_id}: ${r.attempts} call${r.attempts === 1 ? '' : 's'} for ${r.region}` +
        (r.served_region !== null && r.served_region !== r.region ? ` (served by ${r.served_region})` : '') +
        ` reported running in ${r.region_observed}, not one of ${r.allowed.join(', ')}`,
      evidence: {
        requestedRegion: r.region,
        servedRegion: r.served_region,
        providerKind: r.provider_kind,
        regionObserved: r.region_observed,
        allowed: r.allowed,
        attempts: r.attempts,
        executionIds: r.execution_ids,
      },
    }));
  },
};
