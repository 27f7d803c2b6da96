import { isTerminalJobStatus, rollupJobStatus } from '@beacon/domain';
import type { LifecycleRepository } from '@beacon/db';
import type { EngineListener } from '../worker/engine.events.js';
import type { EngineOptions } from '../worker/engine.options.js';
import { DaemonTask } from './daemon-task.js';

/**
 * Rolls each active job's status up from its cells every `rollupMs`, and once more at shutdown after the last call is
 * recorded. A daemon's duty, not a worker's: one per daemon. `onTerminal` hears of each job that just ended (the
 * engine forgets its cached spec).
 */
export class RollupService extends DaemonTask {
  constructor(
    private readonly lifecycle: Pick<LifecycleRepository, 'activeJobs' | 'setStatus'>,
    opts: Pick<EngineOptions, 'rollupMs' | 'random'>,
    emit: EngineListener,
    private readonly onTerminal: (jobId: string) => void = () => undefined,
  ) {
    super('rollup', opts.rollupMs, 0, opts.random, emit);
  }

  protected runOnce(): Promise<void> {
    return this.rollup();
  }

  /** One pass over the active jobs; a status is written only if it changed, and only once (the write is conditional). */
  async rollup(): Promise<void> {
    for (const job of await this.lifecycle.activeJobs()) {
      const status = rollupJobStatus({
        cancelled: job.cancelled,
        counts: job.counts,
        succeededRegions: job.succeededRegions,
        minRegions: job.minRegions,
        minSuccessRate: job.minSuccessRate,
        started: job.started,
      });
      if (status !== job.status && (await this.lifecycle.setStatus(job.jobId, status, isTerminalJobStatus(status)))) {
        this.emit({ type: 'job_status', jobId: job.jobId, status });
        if (isTerminalJobStatus(status)) this.onTerminal(job.jobId);
      }
    }
  }
}
