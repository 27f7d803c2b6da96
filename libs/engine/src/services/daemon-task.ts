import type { EngineListener } from '../worker/engine.events.js';
import { Periodic } from '../worker/periodic.js';

/**
 * A daemon-level duty run on a {@link Periodic} timer (the reaper, the job roll-up): started and stopped with the
 * engine, its errors reported as engine `error` events under its name, never thrown.
 */
export abstract class DaemonTask {
  private readonly timer: Periodic;

  protected constructor(
    name: string,
    everyMs: number,
    jitter: number,
    random: () => number,
    protected readonly emit: EngineListener,
  ) {
    this.timer = new Periodic(
      name,
      everyMs,
      () => this.runOnce(),
      (where, err) => this.emit({ type: 'error', where, message: String(err) }),
      jitter,
      random,
    );
  }

  /** One pass of the duty. */
  protected abstract runOnce(): Promise<void>;

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
}
