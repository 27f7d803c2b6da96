import type { HeartbeatResult } from '@beacon/db';
import type { EngineListener } from './engine.events.js';
import type { EngineOptions } from './engine.options.js';
import { Periodic } from './periodic.js';

/** Lease renewal as the keeper uses it (the real QueueRepository satisfies it). */
export interface HeartbeatSink {
  heartbeat(runnerId: string, leases: { id: string; token: string }[], leaseMs: number): Promise<HeartbeatResult>;
}

/** Who holds the leases (the claim scheduler): what to renew, and how to stop a cell or all claiming. */
export interface LeaseHolder {
  leases(): { id: string; token: string }[];
  holds(id: string, token: string): boolean;
  drop(id: string, reason: 'lease_lost' | 'cancelled'): void;
  /** Claim nothing more until {@link unfence}. */
  fence(): void;
  unfence(): void;
}

export type LeaseKeeperOptions = Pick<EngineOptions, 'runnerId' | 'leaseMs' | 'heartbeatMs'>;

/**
 * Renews this runner's leases every `heartbeatMs`, stops the cells whose lease is gone or whose job was cancelled, and
 * self-fences when heartbeats keep failing: once the last good one is older than a lease minus one interval, another
 * runner may soon be handed our cells, so every call is aborted and nothing is claimed until a heartbeat succeeds.
 * Heartbeats go on through the shutdown grace period, until {@link stop}.
 */
export class LeaseKeeper {
  private lastHeartbeatOk = Date.now();
  private selfFenced = false;
  private readonly timer: Periodic;

  constructor(
    private readonly opts: LeaseKeeperOptions,
    private readonly sink: HeartbeatSink,
    private readonly holder: LeaseHolder,
    private readonly emit: EngineListener = () => undefined,
    random: () => number = Math.random,
  ) {
    this.timer = new Periodic(
      'heartbeat',
      opts.heartbeatMs,
      () => this.beat(),
      (where, err) => this.emit({ type: 'error', where, message: String(err) }),
      0,
      random,
    );
  }

  /** True while self-fenced. */
  get fenced(): boolean {
    return this.selfFenced;
  }

  start(): void {
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /** One heartbeat; throws when it failed (the timer reports it). */
  async beat(): Promise<void> {
    const leases = this.holder.leases();
    try {
      // A heartbeat that hangs (database unreachable without a reset) counts as failed after one interval.
      const { held, cancelled } = await withTimeout(
        this.sink.heartbeat(this.opts.runnerId, leases, this.opts.leaseMs),
        this.opts.heartbeatMs,
        'heartbeat timed out',
      );
      this.lastHeartbeatOk = Date.now();
      if (this.selfFenced) {
        this.selfFenced = false;
        this.holder.unfence();
      }
      const lost = leases.filter((l) => !held.has(l.id) && this.holder.holds(l.id, l.token));
      if (lost.length) {
        this.emit({ type: 'lease_lost', cellIds: lost.map((l) => l.id), reason: 'lease no longer held' });
        for (const l of lost) this.holder.drop(l.id, 'lease_lost');
      }
      for (const id of cancelled) this.holder.drop(id, 'cancelled');
    } catch (err) {
      // Self-fence before the lease can expire: another daemon may soon be handed these cells.
      if (Date.now() - this.lastHeartbeatOk > this.opts.leaseMs - this.opts.heartbeatMs && !this.selfFenced) {
        this.selfFenced = true;
        this.holder.fence();
        this.emit({ type: 'lease_lost', cellIds: leases.map((l) => l.id), reason: `heartbeat failing: ${String(err)}` });
        for (const { id } of this.holder.leases()) this.holder.drop(id, 'lease_lost');
      }
      throw err;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
