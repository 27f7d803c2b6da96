import os from 'node:os';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { type Firing, ScheduleRepository } from '@beacon/db';
import { SCHEDULE_TICK_OUTCOMES } from '@beacon/domain';
import type { BeaconMetrics } from '@beacon/observability';
import { METRICS } from '../tokens.js';
import { PRUNE_RUNS, type PruneRuns } from './prune-runs.port.js';

/** BEACON_SCHEDULES=off: this daemon fires no schedule (others on the database still do). */
export const SCHEDULES_DISABLED = (process.env.BEACON_SCHEDULES ?? '').toLowerCase() === 'off';

/** How often the daemon looks for due schedules, in ms (BEACON_SCHEDULE_TICK_MS, default 1000). */
export const SCHEDULE_TICK_MS = Math.max(100, Number(process.env.BEACON_SCHEDULE_TICK_MS) || 1000);

/** Most schedules fired in one look: each is its own transaction; the rest wait for the next look. */
export const MAX_FIRINGS_PER_TICK = 20;

/** How often retention is applied. */
export const PRUNE_EVERY_MS = 60_000;

/** Who fired a tick, in its row: host and process. */
export const DAEMON_ID = `${os.hostname()}:${process.pid}`;

/** Counts each outcome at 0 so the first firing, skip or miss after a start is an increase Prometheus sees. */
export function primeScheduleMetrics(metrics: BeaconMetrics): void {
  for (const outcome of SCHEDULE_TICK_OUTCOMES) metrics.scheduleFirings.inc({ outcome }, 0);
}

/** Metrics of one firing: outcomes (a missed row counts its ticks) and the lag of fired and queued ticks. */
export function recordFiring(metrics: BeaconMetrics, f: Pick<Firing, 'now' | 'ticks'>): void {
  for (const t of f.ticks) {
    metrics.scheduleFirings.inc({ outcome: t.outcome }, t.outcome === 'missed' ? (t.missedCount ?? 1) : 1);
    if ((t.outcome === 'fired' || t.outcome === 'queued') && !t.manual) {
      metrics.scheduleLag.observe(Math.max(0, (f.now.getTime() - t.tick.getTime()) / 1000));
    }
  }
}

/**
 * Fires due schedules, in every daemon, driven by Nest's scheduler: each look claims due schedules one at a time with
 * SKIP LOCKED and handles each in one transaction (see ScheduleRepository), so any number of daemons fire each tick
 * exactly once. A look still running when the next is due makes that one a no-op; on shutdown the current look
 * finishes and no other starts.
 */
@Injectable()
export class ScheduleTicker implements BeforeApplicationShutdown {
  private readonly log = new Logger('schedules');
  private current: Promise<void> | null = null;
  private stopping = false;
  private lastPrune = 0;

  constructor(
    private readonly schedules: ScheduleRepository,
    @Inject(METRICS) private readonly metrics: BeaconMetrics,
    @Inject(PRUNE_RUNS) private readonly pruner: PruneRuns,
  ) {
    primeScheduleMetrics(metrics);
  }

  @Interval('beacon-schedules', SCHEDULE_TICK_MS)
  tick(): void {
    if (SCHEDULES_DISABLED || this.stopping || this.current) return;
    this.current = this.look().finally(() => {
      this.current = null;
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.current;
  }

  /** Fires what is due (up to {@link MAX_FIRINGS_PER_TICK}), then applies retention when it is time. */
  async look(): Promise<void> {
    for (let i = 0; i < MAX_FIRINGS_PER_TICK && !this.stopping; i++) {
      let firing: Firing | null;
      try {
        firing = await this.schedules.fireDue(DAEMON_ID);
      } catch (err) {
        // Rolled back whole: the ticks stay due and the next look tries again.
        this.log.error(`firing a schedule failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (!firing) break;
      recordFiring(this.metrics, firing);
      for (const t of firing.ticks) {
        this.log.log(
          `schedule ${firing.scheduleId} tick ${t.tick.toISOString()}: ${t.outcome}` +
            (t.jobId ? ` job ${t.jobId}` : '') +
            (t.outcome === 'missed' ? ` (${t.missedCount}${t.missedExact ? '' : '+'} ticks to ${t.missedUntil?.toISOString()})` : ''),
        );
      }
    }
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.prune().catch((err) => this.log.warn(`retention failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private async prune(): Promise<void> {
    for (const name of await this.schedules.withRetention()) {
      const ids = await this.schedules.runsToPrune(name, new Date());
      if (ids.length > 0) await this.pruner.prune(name, ids);
    }
  }
}
