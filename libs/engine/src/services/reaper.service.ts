import type { QueueRepository } from '@beacon/db';
import type { EngineListener } from '../worker/engine.events.js';
import type { EngineOptions } from '../worker/engine.options.js';
import { Periodic } from '../worker/periodic.js';

/**
 * Takes back cells whose lease expired (a runner crashed, hung or was cut off): requeued, or failed once they lost too
 * many leases. A daemon's duty, not a worker's: one per daemon, every `reapIntervalMs` (jittered ±20 % so that daemons
 * started together do not reap in step). Reaped cells are runnable again, so `onReaped` wakes the claim loop.
 */
export class ReaperService {
  private readonly timer: Periodic;

  constructor(
    private readonly queue: Pick<QueueRepository, 'reapCells'>,
    private readonly opts: Pick<EngineOptions, 'reapIntervalMs' | 'config' | 'random'>,
    private readonly emit: EngineListener,
    private readonly onReaped: () => void = () => undefined,
  ) {
    this.timer = new Periodic('reap', opts.reapIntervalMs, () => this.reap(),
      (where, err) => this.emit({ type: 'error', where, message: String(err) }), 0.2, opts.random);
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
