import { rollupJobStatus } from '@beacon/domain';
import type { RawFinding, ReconcilerRule } from '../reconciler.types.js';
import { inJobs, iso, ruleRows } from './rule-sql.js';

const ACTIVE = new Set(['queued', 'running']);

/** A job whose status is not what its cells roll up to. */
export const jobStatusRule: ReconcilerRule = {
  id: 'job_status_inconsistent',
  severity: 'warning',
  title: 'Job status inconsistent with its cells',
  kind: 'jobs',
  explanation: 'The job\'s stored status differs from the status its cells roll up to: a finished job still has '
    + 'runnable cells or the wrong final status, or every cell is finished but the job is still active long after. '
    + 'Clients waiting on the job see the wrong outcome. Check that a daemon runs the status roll-up, and compare the '
    + 'counts in the evidence with the job\'s status.',
  async run(ctx) {
    const rows = await ruleRows(ctx,
      `SELECT j.id, j.status, j.updated_at, j.cancel_requested_at IS NOT NULL AS cancelled,
              coalesce((j.spec->'constraints'->>'minRegions')::int, 1) AS min_regions,
              coalesce((j.spec->'constraints'->>'minSuccessRate')::float8, 0.67) AS min_success_rate,
              j.updated_at < now() - make_interval(secs => $2::double precision / 1000) AS lagging, c.*
         FROM jobs j
        CROSS JOIN LATERAL (
          SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb) AS counts, coalesce(max(s.regions), 0) AS regions,
                 coalesce(bool_or(s.started), false) AS started
            FROM (SELECT state, count(*)::int AS n, bool_or(attempts > 0) AS started,
                         count(DISTINCT region) FILTER (WHERE state = 'succeeded')::int AS regions
                    FROM executions e WHERE e.job_id = j.id GROUP BY state) s) c
        WHERE ${inJobs('j.id')}`, [ctx.thresholds.statusLagMs]);
    const out: RawFinding[] = [];
    for (const r of rows) {
      const counts = r.counts as Record<string, number>;
      const facts = { counts, succeededRegions: Number(r.regions), minRegions: Number(r.min_regions),
        minSuccessRate: Number(r.min_success_rate), started: Boolean(r.started) };
      const expected = rollupJobStatus({ ...facts, cancelled: Boolean(r.cancelled) });
      const status = String(r.status);
      if (expected === status) continue;
      // A cancel requested after the job had finished leaves its final status as it was.
      if (r.cancelled && !ACTIVE.has(status) && rollupJobStatus({ ...facts, cancelled: false }) === status) continue;
      if (ACTIVE.has(status) && ACTIVE.has(expected)) continue;
      if (ACTIVE.has(status) && !r.lagging) continue;
      out.push({
        fingerprint: `job_status_inconsistent:${r.id}`,
        jobId: String(r.id),
        summary: `job ${r.id} is ${status}, its cells say ${expected} (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')})`,
        evidence: { status, expected, counts, succeededRegions: Number(r.regions), updatedAt: iso(r.updated_at) },
      });
    }
    return out;
  },
};
