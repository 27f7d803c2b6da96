import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  beaconDashboard,
  finalize,
  PROMETHEUS,
  promQuery,
  row,
  stackedPanel,
  timeseriesPanel,
  WIDTH,
  type Dashboard,
} from './house-style.js';
import { increase, rate, RANGE_WINDOW, sel, share, sumBy } from './promql.js';

const responses = (...extra: string[]) => sel('beacon_responses_total', 'region+model', ...extra);

/** A horizontal bar gauge of one share per group over the selected range (instant query over `$__range`). */
function rangeShares(title: string, description: string, classification: string, labels: readonly string[], legend: string) {
  return new bargauge.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(units.PercentUnit)
    .decimals(1)
    .min(0)
    .max(1)
    .span(WIDTH.third)
    .height(10)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([{ value: null, color: 'blue' }]))
    .withTarget(
      promQuery(
        share(increase(responses(`classification="${classification}"`), RANGE_WINDOW), increase(responses(), RANGE_WINDOW), labels),
        legend,
        { instant: true },
      ),
    );
}

/** Bias: how answers differ across regions and models — refusal shares over time and per question category. */
export function biasDashboard(): Dashboard {
  const builder = beaconDashboard(
    'beacon-bias',
    'Beacon / Bias',
    'Refusal and classification shares of committed responses by region, model and question category. A refusal is a result, not an error.',
  )
    .withRow(row('Refusals over time'))
    .withPanel(
      timeseriesPanel(
        'Refusal share by region and model',
        'Refused ÷ all committed responses per region and model (0 when a pair had responses but no refusal). ' +
          'The alert BeaconRefusalShareShift compares the 6 h share with the same window a day earlier.',
        units.PercentUnit,
      )
        .min(0)
        .max(1)
        .withTarget(
          promQuery(share(rate(responses('classification="refused"')), rate(responses()), ['region', 'model']), '{{region}} {{model}}'),
        ),
    )
    .withPanel(
      timeseriesPanel(
        'Refusal share by question category',
        'Refused ÷ all committed responses per question category (control questions should stay near 0 everywhere).',
        units.PercentUnit,
      )
        .min(0)
        .max(1)
        .withTarget(promQuery(share(rate(responses('classification="refused"')), rate(responses()), ['category']), '{{category}}')),
    )
    .withRow(row('Refusals over the selected range'))
    .withPanel(
      rangeShares(
        'Refusal share by region × model',
        'Refused ÷ all responses over the whole selected range, per region and model.',
        'refused',
        ['region', 'model'],
        '{{region}} {{model}}',
      ),
    )
    .withPanel(
      rangeShares(
        'Refusal share by region × category',
        'Refused ÷ all responses over the selected range, per region and question category.',
        'refused',
        ['region', 'category'],
        '{{region}} {{category}}',
      ),
    )
    .withPanel(
      rangeShares(
        'Refusal share by model × category',
        'Refused ÷ all responses over the selected range, per model and question category.',
        'refused',
        ['model', 'category'],
        '{{model}} {{category}}',
      ),
    )
    .withRow(row('Classifications'))
    .withPanel(
      stackedPanel(
        'Classification shares',
        'Share of each label (answered, refused, partial, empty, filtered) among committed responses in the selected regions and models.',
        units.PercentUnit,
      )
        .min(0)
        .max(1)
        .withTarget(
          promQuery(
            `${sumBy(['classification'], rate(responses()))} / ignoring (classification) group_left () (${sumBy([], rate(responses()))} > 0)`,
            '{{classification}}',
          ),
        ),
    )
    .withPanel(
      timeseriesPanel(
        'Responses by question category',
        'Committed responses per second by question category.',
        units.OpsPerSecond,
      ).withTarget(promQuery(sumBy(['category'], rate(responses())), '{{category}}')),
    )
    .withPanel(
      rangeShares(
        'Answered share by region × model',
        'Answered ÷ all responses over the selected range.',
        'answered',
        ['region', 'model'],
        '{{region}} {{model}}',
      ),
    )
    .withPanel(
      rangeShares(
        'Partial share by region × model',
        'Partial answers (hedged or truncated) ÷ all responses over the selected range.',
        'partial',
        ['region', 'model'],
        '{{region}} {{model}}',
      ),
    )
    .withPanel(
      rangeShares(
        'Filtered share by region × model',
        'Provider-side content filter ÷ all responses over the selected range.',
        'filtered',
        ['region', 'model'],
        '{{region}} {{model}}',
      ),
    );
  return finalize(builder.build());
}
