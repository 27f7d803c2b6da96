import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { beaconDashboard, finalize, PROMETHEUS, promQuery, row, statPanel, timeseriesPanel, WIDTH, type Dashboard } from './house-style.js';
import { increase, maxBy, RANGE_WINDOW, round, sel, sumBy } from './promql.js';

const findings = (...extra: string[]) => sel('beacon_drift_findings_total', 'none', ...extra);
const evaluations = (...extra: string[]) => sel('beacon_drift_evaluations_total', 'none', ...extra);
/** Every daemon reports the open findings of the one database (refreshed every 30 s): the same value, so `max`. */
const openByRule = maxBy(['rule'], 'beacon_drift_open_findings');
const lastRunRefusals = maxBy(['region', 'model'], sel('beacon_refusal_rate_last_run', 'region+model'));

/** Drift: findings of drift detection across runs of the same spec, and the refusal rate of the last evaluated run. */
export function driftDashboard(): Dashboard {
  const builder = beaconDashboard(
    'beacon-drift',
    'Beacon / Drift',
    'Drift detection across runs of the same spec: label flips, refusal shifts and answers that diverge from their history ' +
      '(findings in the findings table, GET /api/v1/findings?rule=…), and the refusal rate of the last evaluated run.',
  )
    .withRow(row('Findings'))
    .withPanel(
      statPanel(
        'Open drift findings',
        'Open label_flip, refusal_shift and response_drift findings: those of the newest evaluated run of each series.',
        'count',
        1,
      ).withTarget(promQuery(sumBy([], openByRule), 'open', { instant: true })),
    )
    .withPanel(
      statPanel(
        'New drift findings',
        'Drift findings recorded for the first time over the selected range, every rule.',
        'count',
        1,
      ).withTarget(promQuery(round(sumBy([], increase(findings(), RANGE_WINDOW))), 'new', { instant: true })),
    )
    .withPanel(
      statPanel(
        'New refusal shifts',
        'refusal_shift findings recorded over the selected range (the alert BeaconRefusalShiftFound fires on each).',
        'count',
        1,
      ).withTarget(
        promQuery(round(sumBy([], increase(findings('rule="refusal_shift"'), RANGE_WINDOW))), 'refusal_shift', { instant: true }),
      ),
    )
    .withPanel(
      statPanel(
        'Failed drift evaluations',
        'Evaluations of a finished job that failed over the selected range (the daemon log says why).',
        'count',
        1,
      ).withTarget(promQuery(round(sumBy([], increase(evaluations('result="failed"'), RANGE_WINDOW))), 'failed', { instant: true })),
    )
    .withPanel(
      timeseriesPanel('Open drift findings by rule', 'Open findings per drift rule over time.', units.NoUnit)
        .decimals(0)
        .withTarget(promQuery(openByRule, '{{rule}}')),
    )
    .withPanel(
      timeseriesPanel(
        'New drift findings by rule',
        'Drift findings recorded for the first time per rule, per interval.',
        units.NoUnit,
      ).withTarget(promQuery(sumBy(['rule'], increase(findings())), '{{rule}}')),
    )
    .withRow(row('Refusal rate of the last evaluated run'))
    .withPanel(
      new bargauge.PanelBuilder()
        .title('Refusal rate of the last run by region × model')
        .description('Refused ÷ responses of the last run drift detection evaluated, per region and model.')
        .datasource(PROMETHEUS)
        .unit(units.PercentUnit)
        .decimals(1)
        .min(0)
        .max(1)
        .span(WIDTH.half)
        .height(10)
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Gradient)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
        .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([{ value: null, color: 'blue' }]))
        .withTarget(promQuery(lastRunRefusals, '{{region}} {{model}}', { instant: true })),
    )
    .withPanel(
      timeseriesPanel(
        'Refusal rate of the last run over time',
        'The same rate over time: it changes when a run of the spec ends and is evaluated.',
        units.PercentUnit,
      )
        .min(0)
        .max(1)
        .withTarget(promQuery(lastRunRefusals, '{{region}} {{model}}')),
    )
    .withRow(row('Evaluations'))
    .withPanel(
      timeseriesPanel(
        'Drift evaluations by result',
        'Evaluations of finished jobs per interval: ok, failed, skipped (the job is in no series, or the queue was full).',
        units.NoUnit,
      ).withTarget(promQuery(sumBy(['result'], increase(evaluations())), '{{result}}')),
    );
  return finalize(builder.build());
}
