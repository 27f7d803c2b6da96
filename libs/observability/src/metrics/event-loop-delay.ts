import { createHistogram } from 'node:perf_hooks';
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
 * the previous scrape (then the window starts afresh). An unref'd interval timer measures its own lateness into a
 * `perf_hooks` histogram. Not `monitorEventLoopDelay`: its `reset()` also forgets the previous tick, so the first
 * sample after a scrape is dropped and a stall that begins within one interval of a scrape is never reported (a
 * 300 ms stall read as 0.0002 s). An idle loop reads about 0 and a 2 s stall reads 2. A loop that was never sampled in
 * the window (two scrapes within one interval) reads 0. `stop()` ends the monitor.
 */
export function eventLoopDelayGauge(registers: Registry<OpenMetricsContentType>[]): { gauge: Gauge<'percentile'>; stop: () => void } {
  const histogram = createHistogram();
  let previous = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const lateNs = Math.round((now - previous - EVENT_LOOP_RESOLUTION_MS) * 1e6);
    previous = now;
    histogram.record(Math.max(1, lateNs)); // the histogram takes integers ≥ 1
  }, EVENT_LOOP_RESOLUTION_MS);
  timer.unref();
  const gauge = new Gauge({
    name: 'beacon_event_loop_delay_seconds',
    help: 'Event-loop delay since the previous scrape by percentile (100 is the maximum)',
    labelNames: ['percentile'] as const,
    registers,
    collect() {
      const sampled = histogram.count > 0;
      for (const p of EVENT_LOOP_PERCENTILES) {
        const ns = sampled ? (p === 100 ? histogram.max : histogram.percentile(p)) : 0;
        this.set({ percentile: String(p) }, ns <= 1 ? 0 : ns / 1e9);
      }
      histogram.reset();
    },
  });
  return { gauge, stop: () => clearInterval(timer) };
}
