/**
 * Small PromQL helpers shared by the dashboards. Every selector that has `region`/`model` labels is scoped by the
 * dashboard variables; labels are bounded sets only (never a job or execution id: per-cell detail lives in exemplars
 * and traces).
 */

/** Grafana's rate window: at least four scrape intervals, so rate() always has two samples. */
export const RATE_WINDOW = '$__rate_interval';
/** The dashboard's whole time range (for "over the selected range" totals). */
export const RANGE_WINDOW = '$__range';

/** Matchers of the `region` and `model` dashboard variables (multi-value, "All" = `.*`). */
export const REGION_MATCHER = 'region=~"$region"';
export const MODEL_MATCHER = 'model=~"$model"';

/** Which variables a selector is scoped by. */
export type Scope = 'region+model' | 'region' | 'none';

/** `metric{<scope matchers>, <extra matchers>}`; `extra` are complete matchers such as `outcome!="deferred"`. */
export function sel(metric: string, scope: Scope, ...extra: string[]): string {
  const scoped = scope === 'region+model' ? [REGION_MATCHER, MODEL_MATCHER] : scope === 'region' ? [REGION_MATCHER] : [];
  const matchers = [...scoped, ...extra];
  return matchers.length ? `${metric}{${matchers.join(', ')}}` : metric;
}

/** `rate(<selector>[window])`. */
export function rate(selector: string, window = RATE_WINDOW): string {
  return `rate(${selector}[${window}])`;
}

/** `increase(<selector>[window])`. */
export function increase(selector: string, window = RATE_WINDOW): string {
  return `increase(${selector}[${window}])`;
}

/** `round(expr)`: a count built from increase() (which extrapolates to the window's edges) as a whole number. */
export function round(expr: string): string {
  return `round(${expr})`;
}

/** `sum by (labels) (expr)`, or `sum(expr)` without labels. */
export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length ? `sum by (${labels.join(', ')}) (${expr})` : `sum(${expr})`;
}

/** `max by (labels) (expr)`. */
export function maxBy(labels: readonly string[], expr: string): string {
  return labels.length ? `max by (${labels.join(', ')}) (${expr})` : `max(${expr})`;
}

/**
 * Share of `part` in `whole` per `labels`: 0 (not "no data") for groups where `part` has no series (a label outside
 * the vocabulary the daemon creates at 0 at start), and no data (not NaN) for groups whose `whole` is 0 — the daemon
 * creates its series at 0 at start (issue 15.1), so a pair or category without responses in the range has a whole of
 * 0, and 0 ÷ 0 would show as NaN.
 */
export function share(part: string, whole: string, labels: readonly string[]): string {
  return `(${sumBy(labels, part)} or ${sumBy(labels, whole)} * 0) / (${sumBy(labels, whole)} > 0)`;
}

/**
 * `histogram_quantile(q, sum by (le, labels) (rate(<metric>_bucket{…}[window])))`, for the groups with observations in
 * the window only: histograms exist at 0 from the daemon's start (issue 15.1), and the quantile of no observations is NaN.
 */
export function quantile(q: number, histogram: string, scope: Scope, labels: readonly string[], ...extra: string[]): string {
  const buckets = sumBy(['le', ...labels], rate(sel(`${histogram}_bucket`, scope, ...extra)));
  const observed = `${sumBy(labels, rate(sel(`${histogram}_count`, scope, ...extra)))} > 0`;
  return `histogram_quantile(${q}, ${buckets} and on (${labels.join(', ')}) (${observed}))`;
}
