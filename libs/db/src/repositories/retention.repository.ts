import { isActiveJobStatus, isJobStatus } from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { queryRows } from './query.js';
import { TrendRepository } from './trend.repository.js';

/** What {@link RetentionRepository.pruneJobs} did, or would do with `dryRun`. */
export interface PruneOutcome {
  /** Jobs deleted (their trend summaries kept), in the order asked. */
  pruned: string[];
  /** Jobs left alone, each with the reason. */
  skipped: { jobId: string; reason: 'active' | 'unknown' | 'too_recent' }[];
  /** Executions deleted with the pruned jobs. */
  executions: number;
}

/**
 * Retention: deleting old runs while their trend summaries stay. The primitive the per-schedule policies (keep N
 * runs, keep D days) are built on.
 */
export class RetentionRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Deletes those of `jobIds` that have finished (and finished before `finishedBefore`, when given) in one
   * transaction: the job rows are locked (a roll-up or cancellation waits), their trend summaries are written from
   * their cells as they are now ({@link TrendRepository.recordJobs}), then the jobs are deleted, their executions,
   * attempts and labels with them (foreign keys cascade), and their analysis version counters. Queued and running jobs
   * are never deleted: they come back as skipped, like unknown ids and jobs that finished too recently. Reconciler
   * findings and audit rows name jobs by id and are kept (the reconciler resolves findings it no longer sees).
   * With `dryRun`, the same answer and nothing changed.
   */
  async pruneJobs(jobIds: readonly string[], opts: { finishedBefore?: Date | null; dryRun?: boolean } = {}): Promise<PruneOutcome> {
    const ids = [...new Set(jobIds)];
    return this.ds.transaction(async (tx) => {
      const rows = await queryRows<{ id: string; status: string; old: boolean; executions: number }>(
        tx,
        `SELECT j.id, j.status, ($2::timestamptz IS NULL OR coalesce(j.finished_at, j.updated_at) < $2) AS old,
                (SELECT count(*) FROM executions e WHERE e.job_id = j.id)::int AS executions
           FROM jobs j WHERE j.id = ANY($1::text[])
          ORDER BY j.id
          FOR UPDATE OF j`,
        [ids, opts.finishedBefore ?? null],
      );
      const found = new Map(rows.map((r) => [r.id, r]));
      const pruned: string[] = [];
      const skipped: PruneOutcome['skipped'] = [];
      let executions = 0;
      for (const id of ids) {
        const r = found.get(id);
        if (!r) skipped.push({ jobId: id, reason: 'unknown' });
        else if (!isJobStatus(r.status) || isActiveJobStatus(r.status)) skipped.push({ jobId: id, reason: 'active' });
        else if (!r.old) skipped.push({ jobId: id, reason: 'too_recent' });
        else {
          pruned.push(id);
          executions += r.executions;
        }
      }
      if (opts.dryRun || pruned.length === 0) return { pruned, skipped, executions };
      await new TrendRepository(tx).recordJobs(pruned);
      await queryRows(tx, `DELETE FROM job_analysis_versions WHERE job_id = ANY($1::text[])`, [pruned]);
      const deleted = await queryRows<{ id: string }>(tx, `DELETE FROM jobs WHERE id = ANY($1::text[]) RETURNING id`, [pruned]);
      if (deleted.length !== pruned.length) throw new Error(`pruned ${deleted.length} of ${pruned.length} locked jobs`);
      return { pruned, skipped, executions };
    });
  }
}
