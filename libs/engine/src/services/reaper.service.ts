import type { QueueRepository } from '@beacon/db';
import type { EngineListener } from '../worker/engine.events.js';
import type { EngineOptions } from '../worker/engine.options.js';
import { DaemonTask } from './daemon-task.js';

/**
 * Takes back cells whose lease expired (a runner crashed, hung or was cut off): requeued, or failed once they lost too
 * many leases. A daemon's duty, not a worker's: one per daemon, every `reapIntervalMs` (jittered ±20 % so that daemons
 * started together do not reap in step). Reaped cells are runnable again, so `onReaped` wakes the claim loop.
 */
export class ReaperService extends DaemonTask {
  constructor(
    private readonly queue: Pick<QueueRepository, 'reapCells'>,
    private readonly opts: Pick<EngineOptions, 'reapIntervalMs' | 'config' | 'random'>,
    emit: EngineListener,
    private readonly onReaped: () => void = () => undefined,
  ) {
    super('reap', opts.reapIntervalMs, 0.2, opts.random, emit);
  }

  protected runOnce(): Promise<void> {
    return this.reap();
  }

  /** One pass: at most 500 cells, leases expired for over a second (clock skew between database and runner aside). */
  async reap(): Promise<void> {
    const cells = await this.queue.reapCells(500, 1000, this.opts.config.limits.maxLeaseLossesPerCell);
    const count = cells.length;
    if (count > 0) {
      this.emit({ type: 'reaped', count, cells });
      this.onReaped();
    }
  }
}
