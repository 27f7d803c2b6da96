import { isTerminalJobStatus, rollupJobStatus } from '@beacon/domain';
import type { LifecycleRepository } from '@beacon/db';
import type { EngineListener } from '../worker/engine.events.js';
import type { EngineOptions } from '../worker/engine.options.js';
import { Periodic } from '../worker/periodic.js';

/**
 * Rolls each active job's status up from its cells every `rollupMs`, and once more at shutdown after the last call is
 * recorded. A daemon's duty, not a worker's: one per daemon. `onTerminal` hears of each job that just ended (the
 * engine forgets its cached spec).
 */
export class RollupService {
  private readonly timer: Periodic;

  constructor(
    private readonly lifecycle: Pick<LifecycleRepository, 'activeJobs' | 'setStatus'>,
    opts: Pick<EngineOptions, 'rollupMs' | 'random'>,
    private readonly emit: EngineListener,
    private readonly onTerminal: (jobId: string) => void = () => undefined,
  ) {
    this.timer = new Periodic('rollup', opts.rollupMs, () => this.rollup(),
      (where, err) => this.emit({ type: 'error', where, message: String(err) }), 0, opts.random);
  }

  start(): void {
    this.timer.start();
  }

  /** Shutdown begins: the pass already scheduled may run, no other is scheduled. */
  windDown(): void {
    this.timer.windDown();
  }

  stop(): void {
    this.timer.stop();
  }

  /** One pass over the active jobs; a status is written only if it changed, and only once (the write is conditional). */
  async rollup(): Promise<void> {
    for (const job of await this.lifecycle.activeJobs()) {
      const status = rollupJobStatus({
        cancelled: job.cancelled, counts: job.counts, succeededRegions: job.succeededRegions,
        minRegions: job.minRegions, minSuccessRate: job.minSuccessRate, started: job.started,
      });
      if (status !== job.status && (await this.lifecycle.setStatus(job.jobId, status, isTerminalJobStatus(status)))) {
        this.emit({ type: 'job_status', jobId: job.jobId, status });
        if (isTerminalJobStatus(status)) this.onTerminal(job.jobId);
      }
    }
  }
}
