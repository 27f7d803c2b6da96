import { parseOutcome } from '@beacon/db';
import type { ReconcilerRule } from '../reconciler.types.js';
import { inJobs, iso, ruleRows } from './rule-sql.js';

/** An attempt `b` of a cell that started while an earlier attempt `a` was in flight. */
interface OverlappingAttemptsRow {
  execution_id: string;
  job_id: string;
  a_id: string;
  b_id: string;
  a_attempt: number;
  b_attempt: number;
  a_outcome: string | null;
  a_start: Date;
  a_end: Date | null;
  b_start: Date;
}

/** Two provider calls for one cell in flight at the same time. */
export const overlappingAttemptsRule: ReconcilerRule = {
  id: 'overlapping_attempts',
  severity: 'warning',
  title: 'Overlapping attempts of one cell',
  kind: 'jobs',
  explanation:
    'A later attempt of a cell started before an earlier one ended, so the provider was called twice for ' +
    'the same cell at once (paid twice). This is expected only after a lease expired and was fenced; if it happens ' +
    'often, the lease is too short for the provider latency or a runner misses heartbeats (GC pauses, overload).',
  async run(ctx) {
    const rows = await ruleRows<OverlappingAttemptsRow>(
      ctx,
      `SELECT a.execution_id, a.job_id, a.id AS a_id, b.id AS b_id, a.attempt AS a_attempt, b.attempt AS b_attempt,
              a.outcome AS a_outcome, a.started_at AS a_start, a.ended_at AS a_end, b.started_at AS b_start
         FROM execution_attempts a
         JOIN execution_attempts b ON b.execution_id = a.execution_id AND a.attempt < b.attempt
        WHERE ${inJobs('a.job_id')} AND b.started_at < coalesce(a.ended_at, now())
        ORDER BY a.execution_id, a.attempt, b.attempt`,
    );
    return rows.map((r) => ({
      fingerprint: `overlapping_attempts:${r.execution_id}:${r.a_attempt}:${r.b_attempt}`,
      jobId: r.job_id,
      summary: `execution ${r.execution_id}: attempt ${r.b_attempt} started while attempt ${r.a_attempt} (${parseOutcome(r.a_outcome) ?? 'open'}) was in flight`,
      evidence: {
        executionIds: [r.execution_id],
        attemptIds: [r.a_id, r.b_id],
        earlierStartedAt: iso(r.a_start),
        earlierEndedAt: iso(r.a_end),
        laterStartedAt: iso(r.b_start),
      },
    }));
  },
};
