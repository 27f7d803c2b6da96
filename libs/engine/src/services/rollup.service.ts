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
    private readonly lifecycle: Pick<LifecycleRepository, 'activeJobs' | 'setStatus'> &
      Partial<Pick<LifecycleRepository, 'closeOverBudget' | 'closeCancelled' | 'expireDeadlines' | 'jobCost'>>,
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
    // Jobs past their spec's deadline are cancelled first (their pending cells closed, running calls told to stop).
    if (this.lifecycle.expireDeadlines) await this.lifecycle.expireDeadlines();
    let jobs = await this.lifecycle.activeJobs();
    // A retry scheduled by a call in flight when its job ran out of budget: close it, then roll up afresh.
    if (this.lifecycle.closeOverBudget && jobs.some((j) => j.budgetExhausted && (j.counts.pending ?? 0) > 0)) {
      const closed = await this.lifecycle.closeOverBudget(null);
      for (const jobId of new Set(closed.map((c) => c.jobId))) {
        const closedByKey = closed.filter((c) => c.jobId === jobId).map(({ region, modelId, count }) => ({ region, modelId, count }));
        this.emit({ type: 'budget_exhausted', jobId, closedByKey });
      }
      jobs = await this.lifecycle.activeJobs();
    }
    // Likewise a retry or requeue of a call in flight when its job was cancelled: the job ends with nothing pending.
    if (this.lifecycle.closeCancelled && jobs.some((j) => j.cancelled && (j.counts.pending ?? 0) > 0)) {
      await this.lifecycle.closeCancelled();
      jobs = await this.lifecycle.activeJobs();
    }
    for (const job of jobs) {
      const status = rollupJobStatus({
        cancelled: job.cancelled,
        counts: job.counts,
        succeededRegions: job.succeededRegions,
        minRegions: job.minRegions,
        minSuccessRate: job.minSuccessRate,
        started: job.started,
        budgetExhausted: job.budgetExhausted,
      });
      if (status !== job.status && (await this.lifecycle.setStatus(job.jobId, status, isTerminalJobStatus(status)))) {
        const cost = isTerminalJobStatus(status) && this.lifecycle.jobCost ? await this.lifecycle.jobCost(job.jobId) : null;
        this.emit({ type: 'job_status', jobId: job.jobId, status, costUsd: cost && cost.unknownCalls === 0 ? cost.usd : null });
        if (isTerminalJobStatus(status)) this.onTerminal(job.jobId);
      }
    }
  }
}
