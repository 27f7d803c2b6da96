import type { PanelQuery } from '../../dashboards/src/inventory.js';

/**
 * The oracle of the dashboards (issue 15, "every dashboard query evaluated by a real Prometheus"): for every panel
 * target of the Bias, Reliability and Runner dashboards, either a checker that computes the figure the panel must show
 * from the rows of one job run by a fresh daemon ({@link PanelTruth}), or an entry of {@link EXCLUDED} saying why no
 * such truth exists. `panelPlan` fails on a target that has neither, so a new panel cannot be skipped silently.
 *
 * How the figures are read (the oracle-engine spec): every target is evaluated as an instant query at the timestamp of
 * Prometheus' last scrape, with `$__range` and `$__rate_interval` both the whole life of a Prometheus started for this
 * daemon (so a rate panel's value times the range is a count), `$region` and `$model` as `.*`. The daemon creates its
 * series at 0 at start and Prometheus scrapes them once before the job: increase() then neither extrapolates back (a
 * counter whose first sample is 0 is not extrapolated below it) nor forward (the evaluation time is the last sample),
 * so a count is the exact difference of two samples and the only tolerance is float rounding ({@link EPS}).
 */

/** Float rounding only (a rate times the range, a division, sums of costs in another order), relative to the figure. */
export const EPS = 1e-9;

/** A panel's figures: `label=value,…` (the checker's labels, in order) → value. */
export type Figures = Record<string, number>;

/** One provider attempt with a verdict (`execution_attempts.outcome` not null), with its cell's region and model. */
export interface AttemptRow {
  executionId: string;
  attempt: number;
  outcome: string;
  region: string;
  model: string;
  httpStatus: number | null;
  errorKind: string | null;
  latencyMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  finishReason: string | null;
}

/** What the rows (and the test's own configuration) say about one job run by a fresh daemon. */
export interface PanelTruth {
  /** Succeeded cells with a label: region, model, the question's category (`none` without one), the label. */
  responses: { region: string; model: string; category: string; classification: string }[];
  /** Every attempt of the job with a verdict, ordered by execution and attempt number. */
  attempts: AttemptRow[];
  /** The job's cells in a terminal state. */
  finished: { region: string; model: string; state: string }[];
  /** Price per million tokens of each priced model (region `*`): the test's configuration. */
  prices: Record<string, { input: number; output: number }>;
  /** Every configured region (the queue gauges exist for each). */
  regions: string[];
  /** State gauges from SQL right after the last scrape (nothing runs any more): jobs running, runnable cells by region. */
  jobsRunning: number;
  runnableByRegion: Record<string, number>;
  /** Cells in state running, by region and model (a call in flight holds a running cell). */
  runningCells: { region: string; model: string }[];
  /** Open reconciler findings (all jobs), reconciler runs and findings first seen during this daemon's life. */
  openFindings: { rule: string; severity: string; n: number }[];
  reconcilerRuns: { result: string }[];
  findingsOpened: { rule: string; severity: string }[];
  /** Histogram bucket bounds of the provider latency (seconds). */
  latencyBuckets: readonly number[];
}

/** `region=x,model=y` style key of a series (labels in the order given). */
export function keyOf(labels: object, names: readonly string[]): string {
  const value = (n: string) => {
    const v = (labels as Record<string, unknown>)[n];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
  };
  return names.map((n) => `${n}=${value(n)}`).join(',');
}

function count<T extends Record<string, any>>(
  rows: readonly T[],
  names: readonly string[],
  where: (r: T) => boolean = () => true,
): Figures {
  const out: Figures = {};
  for (const r of rows) if (where(r)) out[keyOf(r, names)] = (out[keyOf(r, names)] ?? 0) + 1;
  return out;
}

function sum<T extends Record<string, any>>(rows: readonly T[], names: readonly string[], value: (r: T) => number | null): Figures {
  const out: Figures = {};
  for (const r of rows) {
    const v = value(r);
    if (v !== null) out[keyOf(r, names)] = (out[keyOf(r, names)] ?? 0) + v;
  }
  return out;
}

/** part ÷ whole per key, for keys whose whole is above 0 (the panels show no data, not NaN, for the others). */
function shares(part: Figures, whole: Figures): Figures {
  const out: Figures = {};
  for (const [k, w] of Object.entries(whole)) if (w > 0) out[k] = (part[k] ?? 0) / w;
  return out;
}

/** The attempt's `kind` label: a retry once its cell failed or lost a lease before (deferrals are neither). */
function withKind(attempts: readonly AttemptRow[]): (AttemptRow & { kind: string })[] {
  return attempts.map((a) => {
    const before = attempts.filter((b) => b.executionId === a.executionId && b.attempt < a.attempt);
    return { ...a, kind: before.some((b) => b.outcome === 'retryable_error' || b.outcome === 'lease_expired') ? 'retry' : 'first' };
  });
}

/** Calls: attempts that reached the provider (a deferral makes none). */
const calls = (t: PanelTruth) => withKind(t.attempts).filter((a) => a.outcome !== 'deferred');

/** A retry scheduled: a retryable error another attempt of the cell followed, by the reason its status or error gives. */
function retries(t: PanelTruth): { region: string; model: string; reason: string }[] {
  return t.attempts
    .filter((a) => a.outcome === 'retryable_error' && t.attempts.some((b) => b.executionId === a.executionId && b.attempt > a.attempt))
    .map((a) => ({
      region: a.region,
      model: a.model,
      reason:
        a.httpStatus === 429
          ? 'http_429'
          : a.httpStatus !== null && a.httpStatus >= 500
            ? 'http_5xx'
            : a.httpStatus !== null
              ? 'http_4xx'
              : (a.errorKind ?? 'unknown'),
    }));
}

/** What a call cost: its tokens at its model's price; null when unknown (no price, or a token count missing). */
function costOf(t: PanelTruth, a: AttemptRow): number | null {
  const p = t.prices[a.model];
  if (!p || a.inputTokens === null || a.outputTokens === null) return null;
  return (a.inputTokens * p.input + a.outputTokens * p.output) / 1_000_000;
}

/** A call with an answer (token counts, or a success): its cost is either known or it is an unpriced call. */
const answered = (a: AttemptRow) => a.inputTokens !== null || a.outputTokens !== null || a.outcome === 'succeeded';

const FINISH_REASONS = ['stop', 'length', 'content_filter', 'tool_calls'];

/** The quantile histogram_quantile() gives for `values`: linear interpolation in the bucket holding rank q × n. */
function bucketQuantile(q: number, values: readonly number[], bounds: readonly number[]): number {
  const all = [...bounds, Infinity];
  const cumulative = all.map((b) => values.filter((v) => v <= b).length);
  const rank = q * values.length;
  const b = cumulative.findIndex((c) => c >= rank);
  if (b === all.length - 1) return all[all.length - 2]!;
  const start = b > 0 ? all[b - 1]! : 0;
  const below = b > 0 ? cumulative[b - 1]! : 0;
  return start + (all[b]! - start) * ((rank - below) / (cumulative[b]! - below));
}

/**
 * How a panel's answer is read: `count` (an increase over the range, or a rate × the range: series primed at 0 that
 * never moved are dropped on both sides, a count of 0 being no row), `share` and `value` (compared as they are,
 * including their zeros: a share of 0 and a missing share differ).
 */
export interface PanelCheck {
  labels: readonly string[];
  kind: 'count' | 'share' | 'value';
  /** The panel is a per-second rate (rate() over the range): its value times the range is the figure. */
  perSecond?: boolean;
  want: (t: PanelTruth) => Figures;
}

const RM = ['region', 'model'] as const;
const responseShare = (labels: readonly string[], label: string): PanelCheck => ({
  labels,
  kind: 'share',
  want: (t) =>
    shares(
      count(t.responses, labels, (r) => r.classification === label),
      count(t.responses, labels),
    ),
});
const retryShare = (labels: readonly string[]): PanelCheck => ({
  labels,
  kind: 'share',
  want: (t) =>
    shares(
      count(calls(t), labels, (c) => c.kind === 'retry'),
      count(calls(t), labels, (c) => c.kind === 'first'),
    ),
});
const latency = (q: number): PanelCheck => ({
  labels: RM,
  kind: 'value',
  want: (t) => {
    const byPair = new Map<string, number[]>();
    for (const a of t.attempts)
      if (a.outcome === 'succeeded' && a.latencyMs !== null) {
        const k = keyOf(a, RM);
        byPair.set(k, [...(byPair.get(k) ?? []), a.latencyMs / 1000]);
      }
    return Object.fromEntries([...byPair].map(([k, v]) => [k, bucketQuantile(q, v, t.latencyBuckets)]));
  },
});
const cost = (labels: readonly string[]) => (t: PanelTruth) => sum(t.attempts, labels, (a) => costOf(t, a));

/** A checker per panel target, keyed `dashboard / panel [refId]`. */
export const CHECKS: Record<string, PanelCheck> = {
  // Bias: every figure is a share or a count of the labelled responses.
  'beacon-bias / Refusal share by region and model [A]': responseShare(RM, 'refused'),
  'beacon-bias / Refusal share by question category [A]': responseShare(['category'], 'refused'),
  'beacon-bias / Refusal share by region × model [A]': responseShare(RM, 'refused'),
  'beacon-bias / Refusal share by region × category [A]': responseShare(['region', 'category'], 'refused'),
  'beacon-bias / Refusal share by model × category [A]': responseShare(['model', 'category'], 'refused'),
  'beacon-bias / Classification shares [A]': {
    labels: ['classification'],
    kind: 'share',
    // Each label's share of all responses; labels that never occurred are 0 (their series exist at 0).
    want: (t) => {
      const n = t.responses.length;
      if (n === 0) return {};
      const out: Figures = Object.fromEntries(
        ['answered', 'refused', 'partial', 'empty', 'filtered'].map((l) => [`classification=${l}`, 0]),
      );
      for (const [k, c] of Object.entries(count(t.responses, ['classification']))) out[k] = c / n;
      return out;
    },
  },
  'beacon-bias / Responses by question category [A]': {
    labels: ['category'],
    kind: 'count',
    perSecond: true,
    want: (t) => count(t.responses, ['category']),
  },
  'beacon-bias / Answered share by region × model [A]': responseShare(RM, 'answered'),
  'beacon-bias / Partial share by region × model [A]': responseShare(RM, 'partial'),
  'beacon-bias / Filtered share by region × model [A]': responseShare(RM, 'filtered'),

  // Reliability: attempts, retries, leases, fenced calls, the reconciler.
  'beacon-reliability / Duplicate provider calls [A]': {
    labels: [],
    kind: 'value',
    want: (t) => ({ '': t.attempts.filter((a) => a.outcome === 'fenced').length }),
  },
  'beacon-reliability / Lease expirations [A]': {
    labels: [],
    kind: 'value',
    want: (t) => ({ '': t.attempts.filter((a) => a.outcome === 'lease_expired').length }),
  },
  'beacon-reliability / Retries ÷ first attempts [A]': retryShare([]),
  'beacon-reliability / Attempt outcomes [A]': {
    labels: ['outcome'],
    kind: 'count',
    perSecond: true,
    want: (t) => count(t.attempts, ['outcome']),
  },
  'beacon-reliability / First attempts and retries [A]': {
    labels: ['kind'],
    kind: 'count',
    perSecond: true,
    want: (t) => count(calls(t), ['kind']),
  },
  'beacon-reliability / Retries ÷ first attempts by region and model [A]': retryShare(RM),
  'beacon-reliability / Retries scheduled by reason [A]': {
    labels: ['region', 'reason'],
    kind: 'count',
    perSecond: true,
    want: (t) => count(retries(t), ['region', 'reason']),
  },
  'beacon-reliability / Lease expirations by region and model [A]': {
    labels: RM,
    kind: 'count',
    want: (t) => count(t.attempts, RM, (a) => a.outcome === 'lease_expired'),
  },
  'beacon-reliability / Duplicate provider calls by region and model [A]': {
    labels: RM,
    kind: 'count',
    want: (t) => count(t.attempts, RM, (a) => a.outcome === 'fenced'),
  },
  'beacon-reliability / Open reconciler findings [A]': {
    labels: ['rule', 'severity'],
    kind: 'value',
    want: (t) => Object.fromEntries(t.openFindings.map((f) => [keyOf(f, ['rule', 'severity']), f.n])),
  },
  'beacon-reliability / Reconciler runs and new findings [A]': {
    labels: ['result'],
    kind: 'count',
    want: (t) => count(t.reconcilerRuns, ['result']),
  },
  'beacon-reliability / Reconciler runs and new findings [B]': {
    labels: ['severity'],
    kind: 'count',
    want: (t) => count(t.findingsOpened, ['severity']),
  },

  // Runner: cells finished, calls, latency of answers, queue and in-flight gauges, tokens and cost.
  'beacon-runner / Executions finished [A]': { labels: [], kind: 'value', want: (t) => ({ '': t.finished.length }) },
  'beacon-runner / Failed executions [A]': {
    labels: [],
    kind: 'share',
    want: (t) =>
      shares(
        count(t.finished, [], (f) => f.state === 'failed'),
        count(t.finished, []),
      ),
  },
  'beacon-runner / Jobs running [A]': { labels: [], kind: 'value', want: (t) => ({ '': t.jobsRunning }) },
  'beacon-runner / Runnable backlog [A]': {
    labels: [],
    kind: 'value',
    want: (t) => ({ '': Object.values(t.runnableByRegion).reduce((a, b) => a + b, 0) }),
  },
  'beacon-runner / Finished executions by state [A]': {
    labels: ['state'],
    kind: 'count',
    perSecond: true,
    want: (t) => count(t.finished, ['state']),
  },
  'beacon-runner / Provider error ratio by region [A]': {
    labels: ['region'],
    kind: 'share',
    want: (t) =>
      shares(
        count(t.attempts, ['region'], (a) => ['retryable_error', 'final_error'].includes(a.outcome)),
        count(t.attempts, ['region'], (a) => ['succeeded', 'retryable_error', 'final_error'].includes(a.outcome)),
      ),
  },
  'beacon-runner / Provider calls by outcome [A]': {
    labels: ['outcome'],
    kind: 'count',
    perSecond: true,
    want: (t) => count(t.attempts, ['outcome']),
  },
  'beacon-runner / Provider latency p50 by region and model [A]': latency(0.5),
  'beacon-runner / Provider latency p95 by region and model [A]': latency(0.95),
  'beacon-runner / Provider latency p99 by region and model [A]': latency(0.99),
  'beacon-runner / Queue depth by region [A]': {
    labels: ['region'],
    kind: 'value',
    want: (t) => Object.fromEntries(t.regions.map((r) => [`region=${r}`, t.runnableByRegion[r] ?? 0])),
  },
  'beacon-runner / Oldest runnable cell age by region [A]': {
    labels: ['region'],
    kind: 'value',
    // Nothing is runnable once the job has ended: every region's oldest runnable cell is of age 0 (none).
    want: (t) => {
      if (Object.values(t.runnableByRegion).some((n) => n > 0)) throw new Error('cells still runnable after the job ended');
      return Object.fromEntries(t.regions.map((r) => [`region=${r}`, 0]));
    },
  },
  'beacon-runner / In-flight provider calls [A]': {
    labels: RM,
    kind: 'count',
    want: (t) => count(t.runningCells, RM),
  },
  'beacon-runner / Retries scheduled by reason [A]': {
    labels: ['reason'],
    kind: 'count',
    perSecond: true,
    want: (t) => count(retries(t), ['reason']),
  },
  'beacon-runner / Tokens per second by type [A]': {
    labels: ['token_type'],
    kind: 'count',
    perSecond: true,
    want: (t) => ({
      ...sum(
        t.attempts.map((a) => ({ ...a, token_type: 'input' })),
        ['token_type'],
        (a) => a.inputTokens,
      ),
      ...sum(
        t.attempts.map((a) => ({ ...a, token_type: 'output' })),
        ['token_type'],
        (a) => a.outputTokens,
      ),
    }),
  },
  'beacon-runner / Cost per second by region and model [A]': { labels: RM, kind: 'count', perSecond: true, want: cost(RM) },
  'beacon-runner / Answers cut off by max_tokens [A]': {
    labels: RM,
    kind: 'share',
    want: (t) => {
      const answers = t.attempts
        .filter((a) => a.outcome === 'succeeded')
        .map((a) => ({ ...a, reason: FINISH_REASONS.includes(a.finishReason ?? '') ? a.finishReason : 'other' }));
      return shares(
        count(answers, RM, (a) => a.reason === 'length'),
        count(answers, RM),
      );
    },
  },
  'beacon-runner / Cost (selected range) [A]': { labels: [], kind: 'value', want: (t) => ({ '': cost([])(t)[''] ?? 0 }) },
  'beacon-runner / Cost per job [A]': {
    labels: [],
    kind: 'value',
    // One job per daemon: the mean is that job's cost. A job's cost is known when every call with an answer had a known
    // cost and at least one call had one (a job without any priced call has no cost, not a cost of $0: the
    // lifecycle repository's jobCost); otherwise the job is not observed and the panel has no data.
    want: (t): Figures => {
      const known = t.attempts.filter((a) => costOf(t, a) !== null);
      const unknown = t.attempts.some((a) => answered(a) && costOf(t, a) === null);
      return known.length > 0 && !unknown ? { '': cost([])(t)[''] ?? 0 } : {};
    },
  },
  'beacon-runner / Tokens (selected range) [A]': {
    labels: [],
    kind: 'value',
    want: (t) => ({ '': t.attempts.reduce((n, a) => n + (a.inputTokens ?? 0) + (a.outputTokens ?? 0), 0) }),
  },
  'beacon-runner / Calls without a known cost [A]': {
    labels: [],
    kind: 'value',
    want: (t) => ({ '': t.attempts.filter((a) => answered(a) && costOf(t, a) === null).length }),
  },
};

/**
 * Panel targets no row can check, with the reason. Each is still evaluated by dashboards-prometheus.int-spec.ts (it
 * must parse and return data on a live runner).
 */
export const EXCLUDED: Record<string, string> = {
  // The API panels count requests, not rows. The only truth is the test's own request log, and beacon_http_requests_total
  // is not primed: a method × route × status series is born at its first request, so increase() cannot see that first
  // value and extrapolates the rest by up to half a scrape interval; no exact figure, and no useful bound of the loss.
  // BeaconApiErrors has promtool unit tests on exact input (dashboards/alerts/beacon.rules.test.yml).
  'beacon-reliability / API 5xx ratio [A]': 'HTTP request series are born on first use: no exact count (see above)',
  'beacon-reliability / API error ratio by route [A]': 'HTTP request series are born on first use: no exact count (see above)',
  'beacon-reliability / API error ratio by route [B]': 'HTTP request series are born on first use: no exact count (see above)',
  'beacon-reliability / API requests by status [A]': 'HTTP request series are born on first use: no exact count (see above)',
  'beacon-reliability / API latency p95 by route [A]': 'server-side request durations are in no row (and series are born on first use)',
  // The breaker's state lives in the engine's memory; no row holds it, and recomputing it from the attempts would be
  // rewriting the breaker, not checking it.
  'beacon-runner / Circuit breakers [A]': "the breaker's state is in memory only, in no row",
  // The process's own facts: no row holds them.
  'beacon-runner / CPU [A]': 'process CPU time: in no row',
  'beacon-runner / Resident memory [A]': 'process memory: in no row',
  'beacon-runner / Event loop lag p99 [A]': 'event-loop delay: in no row',
  // Drift needs a series of runs of one spec; each oracle history is one job on a fresh daemon, so every drift figure
  // would be 0 here. drift-daemon.int-spec.ts checks each of these panels, in a real Prometheus, against the findings
  // and executions rows of six runs with a change at run 4.
  ...Object.fromEntries(
    [
      'Open drift findings',
      'New drift findings',
      'New refusal shifts',
      'Failed drift evaluations',
      'Open drift findings by rule',
      'New drift findings by rule',
      'Refusal rate of the last run by region × model',
      'Refusal rate of the last run over time',
      'Drift evaluations by result',
    ].map((panel) => [
      `beacon-drift / ${panel} [A]`,
      'one run per history: no drift; checked against the rows in drift-daemon.int-spec.ts',
    ]),
  ),
  // The oracle's daemons have no notification sink. notifications.int-spec.ts checks these metrics against the outbox
  // and delivery-log rows.
  'beacon-reliability / Notification deliveries by sink and outcome [A]': 'no sink configured here; checked in notifications.int-spec.ts',
  'beacon-reliability / Notification outbox [A]': 'no sink configured here; checked in notifications.int-spec.ts',
  'beacon-reliability / Notification outbox [B]': 'no sink configured here; checked in notifications.int-spec.ts',
};

/** `dashboard / panel [refId]`, the key of a target in {@link CHECKS} and {@link EXCLUDED}. */
export const targetKey = (q: Pick<PanelQuery, 'dashboard' | 'panel' | 'refId'>): string => `${q.dashboard} / ${q.panel} [${q.refId}]`;

/**
 * Pairs every target with its checker. Throws, naming them, on targets with neither a checker nor an exclusion, on
 * targets with both, and on checkers or exclusions of targets that no longer exist.
 */
export function panelPlan(queries: readonly PanelQuery[]): { query: PanelQuery; check: PanelCheck }[] {
  const keys = queries.map(targetKey);
  const problems = [
    ...keys.filter((k) => !CHECKS[k] && !EXCLUDED[k]).map((k) => `no checker and not excluded: ${k}`),
    ...keys.filter((k) => CHECKS[k] && EXCLUDED[k]).map((k) => `both checked and excluded: ${k}`),
    ...[...Object.keys(CHECKS), ...Object.keys(EXCLUDED)].filter((k) => !keys.includes(k)).map((k) => `no such panel target: ${k}`),
  ];
  if (problems.length) throw new Error(`dashboard oracle out of date:\n${problems.join('\n')}`);
  return queries.filter((q) => CHECKS[targetKey(q)]).map((query) => ({ query, check: CHECKS[targetKey(query)]! }));
}

/** Differences beyond {@link EPS} between Prometheus' figures and the truth's, as readable lines (empty when they agree). */
export function mismatches(what: string, check: PanelCheck, prom: Figures, want: Figures): string[] {
  const nonZero = (f: Figures) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== 0));
  const p = check.kind === 'count' ? nonZero(prom) : prom;
  const w = check.kind === 'count' ? nonZero(want) : want;
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(p), ...Object.keys(w)])].sort()) {
    const a = p[k];
    const b = w[k];
    if (a === undefined || b === undefined || Number.isNaN(a) || Math.abs(a - b) > EPS * Math.max(Math.abs(a), Math.abs(b)))
      out.push(`${what} {${k}}: prometheus ${a === undefined ? 'absent' : a} vs rows ${b === undefined ? 'absent' : b}`);
  }
  return out;
}
