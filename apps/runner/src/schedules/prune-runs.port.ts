import { Logger } from '@nestjs/common';

/**
 * Deletes the runs a schedule's retention no longer keeps (job ids from `ScheduleRepository.runsToPrune`), keeping
 * what trend summaries need. Bound to the retention repository's `pruneJobs` where that exists; until then the
 * default below only says what it would have pruned.
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
