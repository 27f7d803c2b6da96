import { Injectable, Logger } from '@nestjs/common';
import { RetentionRepository } from '@beacon/db';
import { DataSource } from 'typeorm';

/**
 * Deletes the runs a schedule's retention no longer keeps (job ids from `ScheduleRepository.runsToPrune`), keeping
 * their trend summaries. The daemon binds {@link RetentionPruneRuns}.
 */
export interface PruneRuns {
  prune(scheduleId: string, jobIds: string[]): Promise<void>;
}

/** Injection token of {@link PruneRuns}. */
export const PRUNE_RUNS = Symbol('PRUNE_RUNS');

/** The default {@link PruneRuns}: deletes nothing, logs what retention would remove. */
export class LogOnlyPruneRuns implements PruneRuns {
  private readonly log = new Logger('schedules');

  prune(scheduleId: string, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return Promise.resolve();
    this.log.debug(
      `schedule ${scheduleId}: ${jobIds.length} run(s) past retention (${jobIds.slice(0, 3).join(', ')}${jobIds.length > 3 ? ', …' : ''}); no pruner is bound, nothing deleted`,
    );
    return Promise.resolve();
  }
}

/** Schedule retention through `RetentionRepository.pruneJobs`: finished runs deleted, their trend summaries kept. */
@Injectable()
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
