import type { BeaconMetrics } from '@beacon/observability';
import type { EngineEvent } from '@beacon/engine';
import { isTerminalExecutionState, TERMINAL_EXECUTION_STATES } from '@beacon/domain';

/** Turns engine events into counters and histograms; gauges are refreshed at scrape time by MetricsCollector. */
export function engineMetricsListener(m: BeaconMetrics): (e: EngineEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'attempt': {
        const region = e.cell.region;
        const model = e.cell.modelId;
        m.attempts.inc({ region, model, outcome: e.outcome, kind: e.cell.failures > 0 || e.cell.leaseLosses > 0 ? 'retry' : 'first' });
        if (e.outcome !== 'deferred') {
          // prom-client types exemplar labels as the metric's own label names; the exemplar carries the trace id.
          const exemplarLabels = { trace_id: e.cell.traceId } as unknown as Record<'region', string>;
          m.providerLatency.observe({ labels: { region, model, outcome: e.outcome }, value: e.latencyMs / 1000, exemplarLabels });
        }
        if (isTerminalExecutionState(e.state)) m.executionsFinished.inc({ region, model, state: e.state });
        if (e.state === 'succeeded' && e.classification) {
          m.responses.inc({ region, model, classification: e.classification, category: e.category ?? 'none' });
        }
        if (e.state === 'pending' && e.outcome === 'retryable_error') m.retries.inc({ region, model, reason: e.failureKind ?? 'unknown' });
        if (e.outcome === 'fenced') m.duplicateCalls.inc({ region, model });
        break;
      }
      case 'reaped':
        for (const c of e.cells) {
          m.leaseExpirations.inc({ region: c.region, model: c.modelId });
          if (c.state === 'failed') m.executionsFinished.inc({ region: c.region, model: c.modelId, state: 'failed' });
        }
        break;
      default:
        break;
    }
  };
}

/** Creates the usual series at 0 for every configured (region, model), so rate() sees their first increments. */
export function primeMetrics(m: BeaconMetrics, keys: { region: string; model: string }[]): void {
  for (const { region, model } of keys) {
    for (const state of TERMINAL_EXECUTION_STATES) m.executionsFinished.inc({ region, model, state }, 0);
    for (const outcome of ['succeeded', 'retryable_error', 'final_error']) {
      for (const kind of ['first', 'retry']) m.attempts.inc({ region, model, outcome, kind }, 0);
    }
    m.duplicateCalls.inc({ region, model }, 0);
    m.leaseExpirations.inc({ region, model }, 0);
  }
}
