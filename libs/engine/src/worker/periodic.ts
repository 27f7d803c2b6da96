/**
 * A task run every `ms` (± `jitter` as a fraction, so that runners started together drift apart), one run at a time:
 * the next run is scheduled when the last one ends, so a slow run (a database that hangs) never piles runs up. A run
 * that throws is reported and the task goes on.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  /** No run is scheduled after the one pending (the engine is shutting down: the heartbeat goes on, not this). */
  private windingDown = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly ms: number,
    private readonly run: () => Promise<unknown> | void,
    private readonly onError: (where: string, err: unknown) => void,
    private readonly jitter = 0,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule();
  }

  /** Lets the run already scheduled happen, but schedules no other. */
  windDown(): void {
    this.windingDown = true;
  }

  /** Cancels the run scheduled, if any; none follows. A run under way finishes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One run (its error reported, never thrown), then the next is scheduled unless stopped. */
  private async tick(): Promise<void> {
    try {
      await this.run();
    } catch (err) {
      this.onError(this.name, err);
    }
    if (!this.stopped && !this.windingDown) this.schedule();
  }

  private schedule(): void {
    const t = setTimeout(() => void this.tick(), this.ms * (1 + this.jitter * (this.random() * 2 - 1)));
    t.unref?.();
    this.timer = t;
  }
}
