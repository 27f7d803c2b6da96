import type { ReconcilerRule } from '../reconciler.types.js';
import { inJobs, iso, ruleRows } from './rule-sql.js';

/** An execution or a job whose times are out of order (`id` as text for both). */
interface ImpossibleTimesRow {
  kind: 'execution' | 'job';
  id: string;
  job_id: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Rows that end before they start (or start before they were created). */
export const impossibleTimesRule: ReconcilerRule = {
  id: 'impossible_times',
  severity: 'critical',
  title: 'Impossible times',
  kind: 'jobs',
  explanation:
    'A job or execution ends before it starts, or starts before it was created. Every time is taken from ' +
    'the database clock, so this means a row was written by hand or by a process using its own clock, or the ' +
    'database clock went backwards. Durations and latencies computed from these rows are wrong; fix the source.',
  async run(ctx) {
    const rows = await ruleRows<ImpossibleTimesRow>(
      ctx,
      `SELECT 'execution' AS kind, e.id::text AS id, e.job_id, e.created_at, e.started_at, e.finished_at FROM executions e
        WHERE ${inJobs('e.job_id')} AND (e.finished_at < e.started_at OR e.started_at < e.created_at)
       UNION ALL
       SELECT 'job', j.id, j.id, j.created_at, j.started_at, j.finished_at FROM jobs j
        WHERE ${inJobs('j.id')} AND (j.finished_at < j.started_at OR j.started_at < j.created_at OR j.finished_at < j.created_at)`,
    );
    return rows.map((r) => ({
      fingerprint: `impossible_times:${r.kind}:${r.id}`,
      jobId: r.job_id,
      summary: `${r.kind} ${r.id}: created ${iso(r.created_at)}, started ${iso(r.started_at)}, finished ${iso(r.finished_at)}`,
      evidence: {
        ...(r.kind === 'execution' ? { executionIds: [r.id] } : {}),
        createdAt: iso(r.created_at),
        startedAt: iso(r.started_at),
        finishedAt: iso(r.finished_at),
      },
    }));
  },
};
