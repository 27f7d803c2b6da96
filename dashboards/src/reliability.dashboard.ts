import * as common from '@grafana/grafana-foundation-sdk/common';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  beaconDashboard,
  finalize,
  promQuery,
  row,
  stackedPanel,
  statPanel,
  thresholdLine,
  timeseriesPanel,
  WIDTH,
  type Dashboard,
} from './house-style.js';
import { increase, maxBy, quantile, rate, RANGE_WINDOW, sel, share, sumBy } from './promql.js';

/** Title of the reconciler findings panel: the reconciler is not fed yet, so tests exempt this panel from "returns data". */
export const RECONCILER_FINDINGS_PANEL = 'Open reconciler findings';

/** Attempts that reached (or were meant to reach) the provider: a `deferred` attempt is a breaker deferral, no call. */
const CALLED = 'outcome!="deferred"';
/** API requests other than Prometheus' own scrapes, which would dilute every API ratio. */
const API = 'route!="/metrics"';

/** Reliability: attempt outcomes, retries against first attempts, lease expirations, duplicate calls, HTTP errors. */
export function reliabilityDashboard(): Dashboard {
  const attempts = (...extra: string[]) => rate(sel('beacon_attempts_total', 'region+model', ...extra));
  const duplicates = sel('beacon_duplicate_calls_total', 'region+model');
  const http = (...extra: string[]) => rate(sel('beacon_http_requests_total', 'none', API, ...extra));
  const budget = thresholdLine(0.2);
  const builder = beaconDashboard(
    'beacon-reliability',
    'Beacon / Reliability',
    'Exactly-once in practice: attempt outcomes, retry pressure, lease expirations, duplicate (fenced) provider calls and API errors.',
  )
    .withRow(row('Exactly once (selected range)'))
    .withPanel(
      statPanel(
        'Duplicate provider calls',
        'Provider calls whose result was fenced off because another claim owned the cell, summed over the ' +
          'live runners since they started (the series only exists after a first duplicate). Any value is worth a look: alert BeaconDuplicateExecution.',
        units.Short,
        1,
      ).withTarget(promQuery(`${sumBy([], duplicates)} or vector(0)`, 'duplicates', { instant: true })),
    )
    .withPanel(
      statPanel(
        'Lease expirations',
        'Leases the reaper returned to the queue in the selected range: a runner died, froze or lost the database mid-call.',
        units.Short,
        1,
      ).withTarget(promQuery(sumBy([], increase('beacon_lease_expirations_total', RANGE_WINDOW)), 'expired', { instant: true })),
    )
    .withPanel(
      statPanel(
        'Retries ÷ first attempts',
        'Retry attempts ÷ first attempts over the selected range, all selected regions and models. The engine budget is 20 %.',
        units.PercentUnit,
        0.2,
      ).withTarget(
        promQuery(
          share(
            increase(sel('beacon_attempts_total', 'region+model', 'kind="retry"', CALLED), RANGE_WINDOW),
            increase(sel('beacon_attempts_total', 'region+model', 'kind="first"', CALLED), RANGE_WINDOW),
            [],
          ),
          'ratio',
          { instant: true },
        ),
      ),
    )
    .withPanel(
      statPanel(
        'API 5xx ratio',
        'Share of HTTP API requests (scrapes of /metrics left out) answered 5xx over the selected range.',
        units.PercentUnit,
        0.05,
      ).withTarget(
        promQuery(
          share(
            increase(sel('beacon_http_requests_total', 'none', API, 'status=~"5.."'), RANGE_WINDOW),
            increase(sel('beacon_http_requests_total', 'none', API), RANGE_WINDOW),
            [],
          ),
          '5xx',
          { instant: true },
        ),
      ),
    )
    .withRow(row('Attempts'))
    .withPanel(
      stackedPanel(
        'Attempt outcomes',
        'Every recorded attempt per second by outcome: succeeded, retryable_error, final_error, fenced ' +
          '(duplicate), released (shutdown), deferred (breaker open, no call), cancelled.',
        units.OpsPerSecond,
      ).withTarget(promQuery(sumBy(['outcome'], attempts()), '{{outcome}}')),
    )
    .withPanel(
      stackedPanel(
        'First attempts and retries',
        'Provider calls per second, first attempts against retries (deferrals left out).',
        units.OpsPerSecond,
      ).withTarget(promQuery(sumBy(['kind'], attempts(CALLED)), '{{kind}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Retries ÷ first attempts by region and model',
        'Retry calls ÷ first calls per region and model; the red line is the 20 % budget. Above it for 10 min with real traffic: alert BeaconRetryStorm.',
        units.PercentUnit,
      )
        .min(0)
        .thresholds(budget.thresholds)
        .thresholdsStyle(budget.style)
        .withTarget(
          promQuery(share(attempts('kind="retry"', CALLED), attempts('kind="first"', CALLED), ['region', 'model']), '{{region}} {{model}}'),
        ),
    )
    .withPanel(
      timeseriesPanel(
        'Retries scheduled by reason',
        'Retries put back on the queue per second, by region and failure kind.',
        units.OpsPerSecond,
      ).withTarget(promQuery(sumBy(['region', 'reason'], rate(sel('beacon_retries_total', 'region+model'))), '{{region}} {{reason}}')),
    )
    .withRow(row('Leases and duplicates'))
    .withPanel(
      timeseriesPanel(
        'Lease expirations',
        'Expired leases returned to the queue by the reapers (not split by region: the counter has no labels).',
        units.Short,
      )
        .drawStyle(common.GraphDrawStyle.Bars)
        .withTarget(promQuery(sumBy([], increase('beacon_lease_expirations_total')), 'expired leases')),
    )
    .withPanel(
      timeseriesPanel(
        'Duplicate provider calls by region and model',
        'Fenced provider calls per region and model since each runner started (a counter, so a step up is a new duplicate). ' +
          'Find the cell with `beacon executions --job … --region … --model …` and its attempts with GET /api/v1/executions/:id.',
        units.Short,
      )
        .lineInterpolation(common.LineInterpolation.StepAfter)
        .withTarget(promQuery(sumBy(['region', 'model'], duplicates), '{{region}} {{model}}')),
    )
    .withRow(row('HTTP API'))
    .withPanel(
      timeseriesPanel(
        'API error ratio by route',
        'Share of requests answered 5xx (server errors) and 4xx (rejected input, unknown ids) per route template; /metrics scrapes left out.',
        units.PercentUnit,
      )
        .span(WIDTH.third)
        .min(0)
        .withTarget(promQuery(share(http('status=~"5.."'), http(), ['route']), '5xx {{route}}'))
        .withTarget(promQuery(share(http('status=~"4.."'), http(), ['route']), '4xx {{route}}')),
    )
    .withPanel(
      timeseriesPanel(
        'API requests by status',
        'HTTP API requests per second by status code (/metrics scrapes left out).',
        units.RequestsPerSecond,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(sumBy(['status'], http()), '{{status}}')),
    )
    .withPanel(
      timeseriesPanel(
        'API latency p95 by route',
        'p95 of HTTP request duration per route template, /metrics included (each scrape queries the database).',
        units.Seconds,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(quantile(0.95, 'beacon_http_request_duration_seconds', 'none', ['route']), '{{route}}')),
    )
    .withRow(row('Reconciler'))
    .withPanel(
      timeseriesPanel(
        RECONCILER_FINDINGS_PANEL,
        'Open findings of the reconciler by rule and severity (duplicates, drift, lost work); max across runners. ' +
          'Empty until the reconciler runs (later milestone).',
        units.Short,
      )
        .span(WIDTH.full)
        .withTarget(promQuery(maxBy(['rule', 'severity'], 'beacon_reconciler_findings'), '{{rule}} {{severity}}')),
    );
  return finalize(builder.build());
}
