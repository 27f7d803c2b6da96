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
import { increase, maxBy, quantile, rate, RANGE_WINDOW, round, sel, share, sumBy } from './promql.js';

/** Title of the reconciler findings panel: the reconciler is not fed yet, so tests exempt this panel from "returns data". */
export const RECONCILER_FINDINGS_PANEL = 'Open reconciler findings';
/** Title of the reconciler runs panel. */
export const RECONCILER_RUNS_PANEL = 'Reconciler runs and new findings';
/** Title of the notification deliveries panel: empty on a daemon without sinks, so tests exempt it from "returns data". */
export const NOTIFICATION_DELIVERIES_PANEL = 'Notification deliveries by sink and outcome';
/** Title of the notification outbox panel. */
export const NOTIFICATION_OUTBOX_PANEL = 'Notification outbox';

/** Attempts that reached (or were meant to reach) the provider: a `deferred` attempt is a breaker deferral, no call. */
const CALLED = 'outcome!="deferred"';
/**
 * API requests other than Prometheus' scrapes of /metrics and the liveness/readiness probes. Both are machine traffic
 * at a fixed rate: they would dilute every API ratio, and a scrape (which queries the database for the queue gauges)
 * would dominate the API's latency. The metrics keep counting them (a slow scrape is worth seeing in Explore, and
 * Prometheus' own scrape_duration_seconds says the same); only the API panels and BeaconApiErrors leave them out.
 */
export const API = 'route!~"/metrics|/health/.*"';
/** Requests the API served (2xx, 3xx): the latency panels read these only, as the provider latency panels read succeeded calls. */
export const SERVED = 'status=~"[23].."';

/** Reliability: attempt outcomes, retries against first attempts, lease expirations, duplicate calls, HTTP errors. */
export function reliabilityDashboard(): Dashboard {
  const attempts = (...extra: string[]) => rate(sel('beacon_attempts_total', 'region+model', ...extra));
  const duplicates = sel('beacon_duplicate_calls_total', 'region+model');
  const expirations = sel('beacon_lease_expirations_total', 'region+model');
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
        'Provider calls in the selected range, regions and models whose result was fenced off because another claim ' +
          'owned the cell. Any value is worth a look: alert BeaconDuplicateExecution.',
        'count',
        1,
      ).withTarget(promQuery(`${round(sumBy([], increase(duplicates, RANGE_WINDOW)))} or vector(0)`, 'duplicates', { instant: true })),
    )
    .withPanel(
      statPanel(
        'Lease expirations',
        'Leases of the selected regions and models that the reaper returned to the queue in the selected range: a runner ' +
          'died, froze or lost the database mid-call.',
        'count',
        1,
      ).withTarget(promQuery(`${round(sumBy([], increase(expirations, RANGE_WINDOW)))} or vector(0)`, 'expired', { instant: true })),
    )
    .withPanel(
      statPanel(
        'Retries ÷ first attempts',
        'Retry calls ÷ first calls over the selected range, all selected regions and models (deferrals left out). The ' +
          'engine budget is 20 %. No value when the range has no first call (retries alone have no ratio).',
        'share',
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
        'Share of HTTP API requests answered 5xx over the selected range (scrapes of /metrics and health probes left out).',
        'share',
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
        'Retry calls ÷ first calls per region and model (no point where a window has no first call); the red line is the ' +
          '20 % budget. Above it for 10 min with real traffic: alert BeaconRetryStorm.',
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
        'Lease expirations by region and model',
        'Expired leases returned to the queue by the reapers, per region and model, counted over the trailing rate ' +
          'window ($__rate_interval) at each point.',
        units.Short,
      )
        .drawStyle(common.GraphDrawStyle.Bars)
        .withTarget(promQuery(sumBy(['region', 'model'], increase(expirations)), '{{region}} {{model}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Duplicate provider calls by region and model',
        'Fenced provider calls per region and model, counted over the trailing rate window ($__rate_interval) at each ' +
          'point. Find the cell with `beacon executions --job … --region … --model …` and its attempts with GET /api/v1/executions/:id.',
        units.Short,
      )
        .drawStyle(common.GraphDrawStyle.Bars)
        .withTarget(promQuery(sumBy(['region', 'model'], increase(duplicates)), '{{region}} {{model}}')),
    )
    .withRow(row('HTTP API'))
    .withPanel(
      timeseriesPanel(
        'API error ratio by route',
        'Share of requests answered 5xx (server errors) and 4xx (rejected input, unknown ids) per route template; /metrics scrapes and health probes left out.',
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
        'HTTP API requests per second by status code (/metrics scrapes and health probes left out).',
        units.RequestsPerSecond,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(sumBy(['status'], http()), '{{status}}')),
    )
    .withPanel(
      timeseriesPanel(
        'API latency p95 by route',
        'p95 of the duration of served requests (2xx, 3xx) per route template. Rejected (4xx) and failed (5xx) requests ' +
          'are left out, as in the provider latency panels; /metrics scrapes and health probes too.',
        units.Seconds,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(quantile(0.95, 'beacon_http_request_duration_seconds', 'none', ['route'], API, SERVED), '{{route}}')),
    )
    .withRow(row('Reconciler'))
    .withPanel(
      timeseriesPanel(
        RECONCILER_FINDINGS_PANEL,
        'Open findings of the reconciler by rule and severity (duplicates, drift, lost work); max across runners. ' +
          'Empty until a scheduled reconciler run finds something. Alerts: BeaconReconcilerCriticalFinding, BeaconReconcilerRunFailed.',
        units.Short,
      )
        .span(WIDTH.half)
        .withTarget(promQuery(maxBy(['rule', 'severity'], 'beacon_reconciler_findings'), '{{rule}} {{severity}}')),
    )
    .withPanel(
      timeseriesPanel(
        RECONCILER_RUNS_PANEL,
        'Scheduled reconciler runs by result (ok, failed: a rule or the run failed, skipped: another daemon held the lock) ' +
          'and findings seen for the first time by severity, summed over runners, counted over the trailing rate window ' +
          '($__rate_interval) at each point.',
        units.Short,
      )
        .span(WIDTH.half)
        .drawStyle(common.GraphDrawStyle.Bars)
        .withTarget(promQuery(sumBy(['result'], increase('beacon_reconciler_runs_total')), 'runs {{result}}'))
        .withTarget(promQuery(sumBy(['severity'], increase('beacon_reconciler_findings_opened_total')), 'new {{severity}} findings')),
    )
    .withRow(row('Notifications'))
    .withPanel(
      timeseriesPanel(
        NOTIFICATION_DELIVERIES_PANEL,
        'HTTP attempts to the notification sinks by sink and outcome (delivered; retry: a retryable failure; dead: ' +
          'dead-lettered; fenced: answered after the lease was lost; lease_expired: taken over from a daemon that stopped), ' +
          'summed over runners, counted over the trailing rate window ($__rate_interval) at each point. Find them with ' +
          '`beacon notify log --sink …`. Alert: BeaconNotificationsDeadLettered.',
        units.Short,
      )
        .span(WIDTH.half)
        .drawStyle(common.GraphDrawStyle.Bars)
        .withTarget(promQuery(sumBy(['sink', 'outcome'], increase('beacon_notification_deliveries_total')), '{{sink}} {{outcome}}')),
    )
    .withPanel(
      timeseriesPanel(
        NOTIFICATION_OUTBOX_PANEL,
        'Outbox rows by state (from the database, max across runners), and the age of the oldest notification not yet ' +
          'delivered or dead-lettered. List them with `beacon notify list`. Alert: BeaconNotificationsBacklog.',
        units.Short,
      )
        .span(WIDTH.half)
        .withTarget(promQuery(maxBy(['state'], 'beacon_notification_outbox'), '{{state}}'))
        .withTarget(promQuery('max(beacon_notification_oldest_pending_seconds)', 'oldest pending (s)')),
    );
  return finalize(builder.build());
}
