import { Logger } from '@nestjs/common';
import { RetentionRepository } from '@beacon/db';
import type { DataSource } from 'typeorm';

/**
 * Deletes the runs a schedule's retention no longer keeps (job ids from `ScheduleRepository.runsToPrune`), keeping
 * their trend summaries. A port so that the ticker's tests can watch what it asks for.
 */
export interface PruneRuns {
  prune(scheduleId: string, jobIds: string[]): Promise<void>;
}

/** Injection token of {@link PruneRuns}. */
export const PRUNE_RUNS = Symbol('PRUNE_RUNS');

/**
 * The daemon's {@link PruneRuns}: `RetentionRepository.pruneJobs`, which records each run's trend summary and deletes
 * the job in one transaction, and leaves active jobs alone (a run still going is never pruned).
 */
export class RetentionPruneRuns implements PruneRuns {
  private readonly log = new Logger('schedules');
  private readonly retention: RetentionRepository;

  constructor(ds: DataSource) {
    this.retention = new RetentionRepository(ds);
  }

  async prune(scheduleId: string, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const out = await this.retention.pruneJobs(jobIds);
    if (out.pruned.length > 0)
      this.log.log(
        `schedule ${scheduleId}: pruned ${out.pruned.length} run(s) past retention (${out.executions} executions); trend summaries kept`,
      );
  }
}
