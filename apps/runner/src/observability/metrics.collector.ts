import { Inject, Injectable } from '@nestjs/common';
import { CELL_SQL, queryRows } from '@beacon/db';
import { JOB_STATUSES } from '@beacon/domain';
import type { BeaconMetrics } from '@beacon/observability';
import { DataSource } from 'typeorm';
import { EngineService } from '../engine/engine.service.js';
import { METRICS } from '../tokens.js';

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** Refreshes the gauges that describe state (queue, jobs, in-flight calls, breakers) right before a scrape. */
@Injectable()
export class MetricsCollector {
  constructor(
    @Inject(METRICS) private readonly m: BeaconMetrics,
    private readonly ds: DataSource,
    private readonly engine: EngineService,
  ) {}

  async refresh(): Promise<void> {
    const [queue, jobs] = await Promise.all([
      queryRows<{ region: string; depth: number; age: number }>(this.ds,
        `SELECT region, count(*)::int AS depth, extract(epoch FROM now() - min(run_after))::float8 AS age
           FROM executions WHERE state = ${CELL_SQL.pending} AND run_after <= now() GROUP BY region`),
      queryRows<{ status: string; n: number }>(this.ds, 'SELECT status, count(*)::int AS n FROM jobs GROUP BY status'),
    ]);
    this.m.queueDepth.reset();
    this.m.queueOldestAge.reset();
    for (const region of Object.keys(this.engine.config.regions)) {
      this.m.queueDepth.set({ region }, 0);
      this.m.queueOldestAge.set({ region }, 0);
    }
    for (const q of queue) {
      this.m.queueDepth.set({ region: q.region }, q.depth);
      this.m.queueOldestAge.set({ region: q.region }, Math.max(0, q.age));
    }
    for (const status of JOB_STATUSES) this.m.jobs.set({ status }, jobs.find((j) => j.status === status)?.n ?? 0);
    this.m.inflight.reset();
    this.m.breakerState.reset();
    for (const k of this.engine.engine?.snapshot() ?? []) {
      this.m.inflight.set({ region: k.region, model: k.model }, k.inFlight);
      this.m.breakerState.set({ region: k.region, model: k.model }, BREAKER_VALUE[k.breaker]);
    }
  }
}
