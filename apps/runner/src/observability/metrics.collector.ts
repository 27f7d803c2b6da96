import { Inject, Injectable } from '@nestjs/common';
import { NotificationRepository, type ReadRepository } from '@beacon/db';
import { JOB_STATUSES, OUTBOX_STATES } from '@beacon/domain';
import { DataSource } from 'typeorm';
import type { BeaconMetrics } from '@beacon/observability';
import { EngineService } from '../engine/engine.service.js';
import { METRICS, READ_REPOSITORY } from '../tokens.js';

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** Refreshes the gauges that describe state (queue, jobs, in-flight calls, breakers) right before a scrape. */
@Injectable()
export class MetricsCollector {
  constructor(
    @Inject(METRICS) private readonly m: BeaconMetrics,
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
    private readonly engine: EngineService,
    private readonly ds: DataSource,
  ) {}

  /** The outbox gauges from its rows (every state present, 0 when none). */
  private async refreshNotifications(): Promise<void> {
    const sinks = await new NotificationRepository(this.ds).summary();
    for (const state of OUTBOX_STATES)
      this.m.notificationOutbox.set(
        { state },
        sinks.reduce((n, s) => n + s.states[state], 0),
      );
    this.m.notificationOldestPending.set(Math.max(0, ...sinks.map((s) => s.oldestPendingSeconds ?? 0)));
  }

  async refresh(): Promise<void> {
    const [queue, jobs] = await Promise.all([this.read.runnableQueue(), this.read.jobCountsByStatus(), this.refreshNotifications()]);
    this.m.queueDepth.reset();
    this.m.queueOldestAge.reset();
    for (const region of Object.keys(this.engine.config.regions)) {
      this.m.queueDepth.set({ region }, 0);
      this.m.queueOldestAge.set({ region }, 0);
    }
    for (const q of queue) {
      this.m.queueDepth.set({ region: q.region }, q.depth);
      this.m.queueOldestAge.set({ region: q.region }, q.oldestAgeSeconds);
    }
    for (const status of JOB_STATUSES) this.m.jobs.set({ status }, jobs.get(status) ?? 0);
    this.m.inflight.reset();
    this.m.breakerState.reset();
    for (const k of this.engine.engine?.snapshot() ?? []) {
      this.m.inflight.set({ region: k.region, model: k.model }, k.inFlight);
      this.m.breakerState.set({ region: k.region, model: k.model }, BREAKER_VALUE[k.breaker]);
    }
  }
}
