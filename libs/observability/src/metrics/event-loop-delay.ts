import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type OpenMetricsContentType, type Registry } from 'prom-client';

/** Sampling interval of the event-loop delay monitor, in milliseconds. */
export const EVENT_LOOP_RESOLUTION_MS = 10;
/**
 * The percentiles exported; `100` is the largest delay seen. (A `quantile` label is reserved for summaries, and a
 * summary cannot be fed from Node's histogram, so this gauge names its label `percentile`.)
 */
export const EVENT_LOOP_PERCENTILES = [50, 90, 99, 100] as const;

/**
 * `beacon_event_loop_delay_seconds{percentile}`: how late the daemon's event loop ran its timers, over the window since
 * the previous scrape (then the window starts afresh), from `perf_hooks.monitorEventLoopDelay`. Node's samples include
 * the monitor's own interval; it is subtracted, so an idle loop reads 0 and a 2 s stall reads 2. A loop that was never
 * sampled in the window (two scrapes within one interval) reads 0. `stop()` ends the monitor.
 */
export function eventLoopDelayGauge(registers: Registry<OpenMetricsContentType>[]): { gauge: Gauge<'percentile'>; stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  histogram.enable();
  const gauge = new Gauge({
    name: 'beacon_event_loop_delay_seconds',
    help: 'Event-loop delay since the previous scrape by percentile (100 is the maximum), monitor interval subtracted',
    labelNames: ['percentile'] as const,
    registers,
    collect() {
      const sampled = histogram.count > 0;
      for (const p of EVENT_LOOP_PERCENTILES) {
        const ns = sampled ? (p === 100 ? histogram.max : histogram.percentile(p)) : 0;
        this.set({ percentile: String(p) }, sampled ? Math.max(0, ns / 1e9 - EVENT_LOOP_RESOLUTION_MS / 1000) : 0);
      }
      histogram.reset();
    },
  });
  return { gauge, stop: () => histogram.disable() };
}
