import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';

/**
 * House style of every Beacon dashboard, in one place: fixed datasource uids (the provisioning in
 * dashboards/provisioning/datasources/datasources.yaml creates them), the `region`/`model` variables, panel defaults
 * and the links between the Beacon dashboards.
 */

/** The Prometheus datasource; its exemplars link to {@link TRACES} (exemplarTraceIdDestinations `trace_id`). */
export const PROMETHEUS: common.DataSourceRef = { type: 'prometheus', uid: 'prometheus' };
/** The trace backend (Jaeger), where an exemplar's `trace_id` (= executions.trace_id) opens the execution's trace. */
export const TRACES: common.DataSourceRef = { type: 'jaeger', uid: 'jaeger' };
/** Tag shared by the Beacon dashboards: the dashboard links and the provisioning folder use it. */
export const BEACON_TAG = 'beacon';

/** Panel widths on Grafana's 24-column grid. */
export const WIDTH = { full: 24, half: 12, third: 8, quarter: 6 } as const;
const HEIGHT = 8;

/** A Prometheus target. Range queries by default; `instant` for stat / bar-gauge panels. */
export function promQuery(expr: string, legend: string, opts: { instant?: boolean; exemplar?: boolean } = {}): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend);
  if (opts.instant) q.instant();
  else q.range();
  if (opts.exemplar) q.exemplar(true);
  return q;
}

/** A time series panel with the house defaults: thin lines, light fill, table legend with last / max, shared tooltip. */
export function timeseriesPanel(title: string, description: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .span(WIDTH.half)
    .height(HEIGHT)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true)
        .calcs(['lastNotNull', 'max']),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/** A stacked time series (shares and outcome mixes). */
export function stackedPanel(title: string, description: string, unit: string): timeseries.PanelBuilder {
  return timeseriesPanel(title, description, unit)
    .fillOpacity(60)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('A'));
}

/**
 * What a stat panel shows: `count`, a whole number of events or items (no unit, no decimals; counts built from
 * increase() are also round()ed in the query, since increase() extrapolates to the window's edges and would show 72.2
 * cells), `share`, a fraction 0–1 shown as a percentage with one decimal, or `usd`, an amount in US dollars.
 */
export type StatKind = 'count' | 'share' | 'usd';

/** Unit and decimals of each {@link StatKind}. */
export const STAT_FORMAT: Record<StatKind, { unit: string; decimals: number | null }> = {
  count: { unit: units.NoUnit, decimals: 0 },
  share: { unit: units.PercentUnit, decimals: 1 },
  // Grafana picks the decimals: a simulated job costs fractions of a cent, a real run hundreds of dollars.
  usd: { unit: units.Dollars, decimals: null },
};

/** A single-value stat panel over the selected range; `alertAbove` colours it red from that value on. */
export function statPanel(title: string, description: string, kind: StatKind, alertAbove: number | null = null): stat.PanelBuilder {
  const steps: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  if (alertAbove !== null) steps.push({ value: alertAbove, color: 'red' });
  const { unit, decimals } = STAT_FORMAT[kind];
  const panel = new stat.PanelBuilder().title(title).description(description).datasource(PROMETHEUS).unit(unit);
  if (decimals !== null) panel.decimals(decimals);
  return panel
    .span(WIDTH.quarter)
    .height(HEIGHT / 2)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
}

/** A horizontal red line at `value` on a time series (budgets and alert thresholds). */
export function thresholdLine(value: number): {
  thresholds: dashboard.ThresholdsConfigBuilder;
  style: common.GraphThresholdsStyleConfigBuilder;
} {
  return {
    thresholds: new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
      { value: null, color: 'green' },
      { value, color: 'red' },
    ]),
    style: new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
  };
}

/** A (non-collapsed) row. */
export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

function labelVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/** `region`: every configured region (the queue gauges are set, at 0 if idle, for each of them). */
export function regionVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('region', 'Region', 'label_values(beacon_queue_depth, region)');
}

/** `model`: every model that was called in the selected regions. */
export function modelVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('model', 'Model', 'label_values(beacon_attempts_total{region=~"$region"}, model)');
}

/** A Beacon dashboard with the shared settings, variables and links to its siblings. */
export function beaconDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([BEACON_TAG])
    .editable()
    .timezone('utc')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-3h', to: 'now' })
    .refresh('30s')
    .annotations([])
    .link(
      new dashboard.DashboardLinkBuilder('Beacon')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([BEACON_TAG])
        .asDropdown(false)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false)
        .icon('external link')
        .tooltip('')
        .url(''),
    )
    .withVariable(regionVariable())
    .withVariable(modelVariable());
}

/** A built dashboard: the SDK's type, with the panel ids and query refIds filled in by {@link finalize}. */
export type Dashboard = dashboard.Dashboard;

interface PanelLike {
  id?: number;
  targets?: { refId?: string }[];
  panels?: PanelLike[];
}

/**
 * Numbers the panels 1…n and the targets of each panel A, B, … so that the JSON is stable and links can name a panel,
 * and drops the SDK's default link placement (`inControlsMenu`, Grafana ≥ 12.3 only) so the links show in the header.
 */
export function finalize(built: Dashboard): Dashboard {
  for (const link of built.links ?? []) delete link.placement;
  let next = 1;
  // Panels are read as their JSON shape: the SDK types a target as a method-only Dataquery variant that has no refId.
  const visit = (panels: readonly object[] | undefined) => {
    for (const panel of (panels ?? []) as PanelLike[]) {
      panel.id = next++;
      panel.targets?.forEach((t, i) => {
        t.refId = String.fromCharCode(65 + i);
      });
      visit(panel.panels);
    }
  };
  visit(built.panels);
  return built;
}
