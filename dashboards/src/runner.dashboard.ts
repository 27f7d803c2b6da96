import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { beaconDashboard, finalize, PROMETHEUS, promQuery, row, statPanel, timeseriesPanel, WIDTH, type Dashboard } from './house-style.js';
import { maxBy, quantile, rate, RANGE_WINDOW, increase, round, sel, share, sumBy } from './promql.js';
import { withCostPanels } from './cost-panels.js';

/** Provider outcomes that are a verdict of the provider (not a local release, deferral or fence). */
export const PROVIDER_CALL = 'outcome=~"succeeded|retryable_error|final_error"';
const PROVIDER_ERROR = 'outcome=~"retryable_error|final_error"';
/**
 * The latency panels read succeeded calls only: a failed call's latency is that of its failure (a timeout at the
 * two-minute limit, an instant 429), and mixed in it moves every quantile with the error rate rather than with the
 * provider's speed. Errors have their own panel (Provider error ratio by region).
 */
export const LATENCY_OUTCOME = 'outcome="succeeded"';

function latencyPanel(q: number, label: string) {
  return timeseriesPanel(
    `Provider latency ${label} by region and model`,
    `${label} of the latency of succeeded provider calls per region and model (failed calls and timeouts are left out: ` +
      'see Provider error ratio by region). Exemplars (dots) carry ' +
      'the trace id of one execution: click one to open its trace; the same id is executions.trace_id (see dashboards/README.md).',
    units.Seconds,
  )
    .span(WIDTH.third)
    .withTarget(
      promQuery(
        quantile(q, 'beacon_provider_latency_seconds', 'region+model', ['region', 'model'], LATENCY_OUTCOME),
        '{{region}} {{model}}',
        {
          exemplar: true,
        },
      ),
    );
}

/** Runner: RED for provider calls, USE for the queue and worker slots, breakers and the process. */
export function runnerDashboard(): Dashboard {
  const attempts = (...extra: string[]) => rate(sel('beacon_attempts_total', 'region+model', ...extra));
  const finished = (...extra: string[]) => sel('beacon_executions_finished_total', 'region+model', ...extra);
  const builder = beaconDashboard(
    'beacon-runner',
    'Beacon / Runner',
    'Throughput, errors and latency of provider calls; queue, in-flight calls, retries and circuit breakers per region and model.',
  )
    .withRow(row('Overview (selected range)'))
    .withPanel(
      statPanel(
        'Executions finished',
        'Cells that reached a terminal state (succeeded, failed, cancelled) in the selected range.',
        'count',
      ).withTarget(promQuery(`${round(sumBy([], increase(finished(), RANGE_WINDOW)))} or vector(0)`, 'finished', { instant: true })),
    )
    .withPanel(
      statPanel(
        'Failed executions',
        'Share of finished cells that ended failed (attempts exhausted or a final error) in the selected range.',
        'share',
        0.05,
      ).withTarget(
        promQuery(share(increase(finished('state="failed"'), RANGE_WINDOW), increase(finished(), RANGE_WINDOW), []), 'failed', {
          instant: true,
        }),
      ),
    )
    .withPanel(
      statPanel(
        'Jobs running',
        'Jobs whose cells are still being executed (every runner reports the same count from the database).',
        'count',
      ).withTarget(promQuery(maxBy([], sel('beacon_jobs', 'none', 'status="running"')), 'running', { instant: true })),
    )
    .withPanel(
      statPanel(
        'Runnable backlog',
        'Runnable pending cells over the selected regions (the database queue, same value from every runner).',
        'count',
      ).withTarget(promQuery(sumBy([], maxBy(['region'], sel('beacon_queue_depth', 'region'))), 'backlog', { instant: true })),
    )
    .withRow(row('Throughput and errors'))
    .withPanel(
      timeseriesPanel(
        'Finished executions by state',
        'Cells reaching a terminal state per second, by state.',
        units.OpsPerSecond,
      ).withTarget(promQuery(sumBy(['state'], rate(finished())), '{{state}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Provider error ratio by region',
        'Failed provider calls (retryable and final errors) ÷ provider calls with a verdict, per region. The alert BeaconProviderErrorRateHigh fires above 10 % for 10 min.',
        units.PercentUnit,
      )
        .min(0)
        .withTarget(promQuery(share(attempts(PROVIDER_ERROR), attempts(PROVIDER_CALL), ['region']), '{{region}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Provider calls by outcome',
        'Every recorded attempt per second by outcome (deferred = breaker open, no call made; fenced = duplicate call).',
        units.OpsPerSecond,
      )
        .span(WIDTH.full)
        .withTarget(promQuery(sumBy(['outcome'], attempts()), '{{outcome}}')),
    )
    .withRow(row('Provider latency'))
    .withPanel(latencyPanel(0.5, 'p50'))
    .withPanel(latencyPanel(0.95, 'p95'))
    .withPanel(latencyPanel(0.99, 'p99'))
    .withRow(row('Queue and workers'))
    .withPanel(
      timeseriesPanel(
        'Queue depth by region',
        'Runnable pending cells per region (run_after reached). Every runner reports the same database value, hence max across runners.',
        units.Short,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(maxBy(['region'], sel('beacon_queue_depth', 'region')), '{{region}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Oldest runnable cell age by region',
        'How long the oldest runnable pending cell has waited. Growing while nothing is executed is a stalled queue (alert BeaconQueueStalled).',
        units.Seconds,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(maxBy(['region'], sel('beacon_queue_oldest_runnable_age_seconds', 'region')), '{{region}}')),
    )
    .withPanel(
      timeseriesPanel(
        'In-flight provider calls',
        'Calls in flight per region and model, summed over runners (each region caps its own concurrency).',
        units.Short,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(sumBy(['region', 'model'], sel('beacon_inflight_calls', 'region+model')), '{{region}} {{model}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Retries scheduled by reason',
        'Retries put back on the queue per second by failure kind (http_429, http_5xx, timeout, network, …).',
        units.OpsPerSecond,
      ).withTarget(promQuery(sumBy(['reason'], rate(sel('beacon_retries_total', 'region+model'))), '{{reason}}')),
    )
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Circuit breakers')
        .description(
          'Breaker state per region and model (worst across runners): open keeps cells pending without spending attempts. Alert BeaconBreakerOpen fires after 5 min not closed.',
        )
        .datasource(PROMETHEUS)
        .span(WIDTH.half)
        .height(8)
        .showValue(common.VisibilityMode.Never)
        .mergeValues(true)
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: {
              0: { text: 'closed', color: 'green', index: 0 },
              1: { text: 'half-open', color: 'yellow', index: 1 },
              2: { text: 'open', color: 'red', index: 2 },
            },
          },
        ])
        .withTarget(promQuery(maxBy(['region', 'model'], sel('beacon_breaker_state', 'region+model')), '{{region}} {{model}}')),
    )
    .withRow(row('Process'))
    .withPanel(
      timeseriesPanel('CPU', 'CPU seconds per second of each runner process.', units.Short)
        .span(WIDTH.third)
        .withTarget(promQuery(rate(sel('beacon_process_cpu_seconds_total', 'none')), '{{instance}}')),
    )
    .withPanel(
      timeseriesPanel('Resident memory', 'RSS of each runner process.', units.BytesIEC)
        .span(WIDTH.third)
        .withTarget(promQuery(sel('beacon_process_resident_memory_bytes', 'none'), '{{instance}}')),
    )
    .withPanel(
      timeseriesPanel('Event loop lag p99', 'Node.js event loop lag (p99 over the sampling window) of each runner process.', units.Seconds)
        .span(WIDTH.third)
        .withTarget(promQuery(sel('beacon_nodejs_eventloop_lag_p99_seconds', 'none'), '{{instance}}')),
    );
  return finalize(withCostPanels(builder).build());
}
