import { parseJobStatus, ROLLUP_FACTS_COLUMNS, ROLLUP_FACTS_JOIN, rollupFacts, type RollupFactsRow } from '@beacon/db';
import { isActiveJobStatus, rollupJobStatus } from '@beacon/domain';
import type { RawFinding, ReconcilerRule } from '../reconciler.types.js';
import { inJobs, iso, ruleRows } from './rule-sql.js';

/** A job with its roll-up facts, and whether it has not changed for longer than the lag threshold. */
interface JobStatusRow extends RollupFactsRow {
  id: string;
  status: string;
  updated_at: Date;
  lagging: boolean;
}

/** A job whose status is not what its cells roll up to. */
export const jobStatusRule: ReconcilerRule = {
  id: 'job_status_inconsistent',
  severity: 'warning',
  title: 'Job status inconsistent with its cells',
  kind: 'jobs',
  explanation:
    "The job's stored status differs from the status its cells roll up to: a finished job still has " +
    'runnable cells or the wrong final status, or every cell is finished but the job is still active long after. ' +
    'Clients waiting on the job see the wrong outcome. Check that a daemon runs the status roll-up, and compare the ' +
    "counts in the evidence with the job's status.",
  async run(ctx) {
    const rows = await ruleRows<JobStatusRow>(
      ctx,
      // The roll-up's own facts query (LifecycleRepository.activeJobs), over every job the run looks at.
      `SELECT j.id, j.status, j.updated_at, ${ROLLUP_FACTS_COLUMNS},
              j.updated_at < now() - make_interval(secs => $2::double precision / 1000) AS lagging
         FROM jobs j
         ${ROLLUP_FACTS_JOIN}
        WHERE ${inJobs('j.id')}`,
      [ctx.thresholds.statusLagMs],
    );
    const out: RawFinding[] = [];
    for (const r of rows) {
      const facts = rollupFacts(r);
      const { counts } = facts;
      const expected = rollupJobStatus(facts);
      const status = parseJobStatus(r.status);
      if (expected === status) continue;
      // A cancel requested after the job had finished leaves its final status as it was.
      if (facts.cancelled && !isActiveJobStatus(status) && rollupJobStatus({ ...facts, cancelled: false }) === status) continue;
      if (isActiveJobStatus(status) && isActiveJobStatus(expected)) continue;
      if (isActiveJobStatus(status) && !r.lagging) continue;
      out.push({
        fingerprint: `job_status_inconsistent:${r.id}`,
        jobId: r.id,
        summary: `job ${r.id} is ${status}, its cells say ${expected} (${Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
        evidence: { status, expected, counts, succeededRegions: facts.succeededRegions, updatedAt: iso(r.updated_at) },
      });
    }
    return out;
  },
};
