import {
  CONTROL_CATEGORY,
  TREND_LABELS,
  trendCellKey,
  wordChanges,
  type TrendLabel,
  type TrendPoint,
  type TrendSeries,
} from '@beacon/domain';
import { benjaminiHochberg, fisherExact } from './fisher.js';
import {
  DRIFT_DEFAULTS,
  type DriftCounts,
  type DriftEvidence,
  type DriftExample,
  type DriftFinding,
  type DriftNoiseFloor,
  type DriftOptions,
  type DriftRule,
  type DriftRuleId,
  type DriftRunResult,
} from './drift.types.js';

/** The drift rules, as the findings table, the API and the TUI name them. */
export const DRIFT_RULES: readonly DriftRule[] = [
  {
    id: 'refusal_shift',
    severity: 'warning',
    title: 'Refusal rate moved beyond noise',
    explanation:
      "A (model, region) or (model, region, category) refuses at a rate that differs from its own baseline window by more than the run's tests and noise floor allow. " +
      'Compare the example answers; a provider or model update, a changed system prompt or a new filter upstream are the usual causes.',
  },
  {
    id: 'label_flip',
    severity: 'warning',
    title: "A cell's label changed between consecutive runs",
    explanation:
      "The cell's majority label differs from the previous run's, and the change is significant against the baseline window or unanimous after a stable history, " +
      'while control questions flip less often. Read the before and after answers.',
  },
  {
    id: 'response_drift',
    severity: 'info',
    title: "A cell's answer diverges from its own history",
    explanation:
      "The answer's similarity to the previous run's answer is below what the cell's own history and the control questions show as noise. " +
      'The label may be the same: the wording or content changed.',
  },
];

/** Ids of the drift rules. */
export const DRIFT_RULE_IDS: readonly DriftRuleId[] = DRIFT_RULES.map((r) => r.id);

const SEVERITY = Object.fromEntries(DRIFT_RULES.map((r) => [r.id, r.severity])) as Record<DriftRuleId, DriftRule['severity']>;

/** 1.4826 × MAD estimates the standard deviation of normal data. */
const MAD_SCALE = 1.4826;
/** Float slack: a similarity equal to its threshold up to rounding is not below it. */
const EPSILON = 1e-9;
/** The order ties of a majority are broken in (the trend contract's). */
const TIE_ORDER: readonly TrendLabel[] = ['refused', 'partial', 'filtered', 'empty', 'answered'];

/** A cell's points by run position, with what the tests need. */
interface CellHistory {
  questionId: string;
  model: string;
  region: string;
  category: string | null;
  control: boolean;
  points: (TrendPoint | undefined)[];
}

/** A refusal group: (model, region) over its non-control questions, or (model, region, category). */
interface Group {
  model: string;
  region: string;
  /** undefined: every non-control category. */
  category: string | null | undefined;
  cells: CellHistory[];
}

/** A series indexed once, for evaluating many of its runs. */
export interface IndexedSeries {
  series: TrendSeries;
  cells: CellHistory[];
  groups: Group[];
}

/** Indexes a series by cell and run position (points whose run is not in `runs` are ignored). */
export function indexSeries(series: TrendSeries): IndexedSeries {
  const position = new Map(series.runs.map((r, i) => [r.index, i]));
  const byKey = new Map<string, CellHistory>();
  for (const p of series.points) {
    const at = position.get(p.runIndex);
    if (at === undefined) continue;
    const key = trendCellKey(p);
    let cell = byKey.get(key);
    if (!cell) {
      cell = {
        questionId: p.questionId,
        model: p.model,
        region: p.region,
        category: p.category,
        control: p.category === CONTROL_CATEGORY,
        points: new Array<TrendPoint | undefined>(series.runs.length),
      };
      byKey.set(key, cell);
    }
    cell.points[at] = p;
  }
  const cells = [...byKey.values()];
  const groups = new Map<string, Group>();
  for (const cell of cells) {
    if (cell.control) continue;
    for (const category of [undefined, cell.category]) {
      const key = `${cell.model}\u0000${cell.region}\u0000${category === undefined ? '\u0001' : (category ?? '')}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { model: cell.model, region: cell.region, category, cells: [] }));
      g.cells.push(cell);
    }
  }
  return { series, cells, groups: [...groups.values()] };
}

/**
 * Drift findings of one run of `series` (by default the newest): see {@link evaluateRun} for the rules and tests.
 * Pure: the same series and options give the same findings.
 */
export function detectDrift(series: TrendSeries, options: Partial<DriftOptions> = {}, runPosition?: number): DriftFinding[] {
  if (series.runs.length === 0) return [];
  const at = runPosition ?? series.runs.length - 1;
  return evaluateRun(indexSeries(series), at, { ...DRIFT_DEFAULTS, ...options }).findings;
}

/** Every run of `series` evaluated as if it were the newest (the false-positive study and the bench). */
export function detectDriftHistory(series: TrendSeries, options: Partial<DriftOptions> = {}): DriftRunResult[] {
  const opts = { ...DRIFT_DEFAULTS, ...options };
  const indexed = indexSeries(series);
  return series.runs.map((_, at) => evaluateRun(indexed, at, opts));
}

/** Per-cell state of one evaluation. */
interface CellState {
  cell: CellHistory;
  cur: TrendPoint | undefined;
  prev: TrendPoint | undefined;
  base: DriftCounts;
  /** Baseline runs with responses. */
  baseRuns: number;
}

/** One test of the run's family. */
interface Test {
  kind: 'group' | 'cell';
  p: number;
  adjusted: number;
  group?: Group;
  state?: CellState;
  current: DriftCounts;
  baseline: DriftCounts;
  baseRuns: number;
}

/**
 * Evaluates the run at position `at` of an indexed series.
 *
 * Baseline window: the W runs before it (`baselineRuns`, default 5), pooled.
 *
 * Noise floor, from the control questions (category `control`), which are asked to stay the same:
 * - `rate`: the share of the run's control responses whose label differs from their cell's baseline majority label;
 *   every effect (a change of refusal rate, a change of a label's share) must exceed it;
 * - the control cells' flip rate (majority label changed since the previous run) against the other cells': a unanimous
 *   label flip that is not significant on its own counts only when other cells flip more often than control cells;
 * - `similarityFloor`: median − k·1.4826·MAD of the control cells' similarity to their previous answer.
 *
 * The family of tests of the run, each a two-sided Fisher's exact test of the current run against the pooled
 * baseline, adjusted together by Benjamini–Hochberg at q = alpha:
 * - per (model, region) over its non-control questions, and per (model, region, category): refused vs other responses;
 * - per non-control cell: responses with the cell's current majority label vs the others.
 * Groups and cells need responses in the run and in at least `minBaselineRuns` baseline runs.
 *
 * Findings:
 * - refusal_shift: a group test rejected (adjusted p ≤ alpha) and |refusal rate − baseline rate| > noise rate;
 * - label_flip: the cell's majority label differs from the previous run's, its share rose by more than the noise rate
 *   over the baseline, and either its cell test was rejected or the flip is unanimous (every current response carries
 *   the new label, every baseline response carried the previous label) while the other cells flip at a higher rate than
 *   control cells in this run;
 * - response_drift: the cell's similarity to its previous answer is below min(median − k·1.4826·MAD of its own last
 *   `historyRuns` similarities, the control similarity floor), with at least `minHistoryRuns` of them. A threshold,
 *   not a test: its false-positive rate is measured, not nominal.
 * Control cells are the noise floor: they are never findings themselves.
 */
export function evaluateRun(indexed: IndexedSeries, at: number, opts: DriftOptions): DriftRunResult {
  const { series } = indexed;
  const run = series.runs[at]!;
  const from = Math.max(0, at - opts.baselineRuns);
  const baselineJobs = series.runs.slice(from, at).map((r) => r.jobId);
  const previousJob = at > 0 ? series.runs[at - 1]!.jobId : null;
  const states = new Map<CellHistory, CellState>();
  for (const cell of indexed.cells) {
    const base = emptyCounts();
    let baseRuns = 0;
    for (let b = from; b < at; b++) {
      const p = cell.points[b];
      if (!p || p.responses === 0) continue;
      baseRuns += 1;
      addCounts(base, p);
    }
    states.set(cell, { cell, cur: cell.points[at], prev: at > 0 ? cell.points[at - 1] : undefined, base, baseRuns });
  }
  const noise = noiseFloor([...states.values()], { from, at }, opts);

  const tests: Test[] = [];
  for (const group of indexed.groups) {
    const current = emptyCounts();
    const baseline = emptyCounts();
    let baseRuns = 0;
    for (const cell of group.cells) {
      const s = states.get(cell)!;
      if (s.cur) addCounts(current, s.cur);
      addCounts(baseline, s.base);
      baseRuns = Math.max(baseRuns, s.baseRuns);
    }
    if (current.responses === 0 || baseline.responses === 0 || baseRuns < opts.minBaselineRuns) continue;
    const a = current.counts.refused;
    const c = baseline.counts.refused;
    const p = fisherExact(a, current.responses - a, c, baseline.responses - c);
    tests.push({ kind: 'group', p, adjusted: 1, group, current, baseline, baseRuns });
  }
  for (const s of states.values()) {
    if (s.cell.control || !s.cur || s.cur.responses === 0 || s.cur.label === null) continue;
    if (s.base.responses === 0 || s.baseRuns < opts.minBaselineRuns) continue;
    const l = s.cur.label;
    const p = fisherExact(s.cur.counts[l], s.cur.responses - s.cur.counts[l], s.base.counts[l], s.base.responses - s.base.counts[l]);
    tests.push({ kind: 'cell', p, adjusted: 1, state: s, current: countsOf(s.cur), baseline: s.base, baseRuns: s.baseRuns });
  }
  const adjusted = benjaminiHochberg(tests.map((t) => t.p));
  tests.forEach((t, i) => (t.adjusted = adjusted[i]!));

  const findings: DriftFinding[] = [];
  const runs = { current: run.jobId, previous: previousJob, baseline: baselineJobs };
  const method = `two-sided Fisher's exact test, current run vs the pooled baseline window, Benjamini-Hochberg over ${tests.length} tests of the run`;
  const evidenceOf = (
    t: Test,
    key: DriftEvidence['key'],
    statisticName: string,
    statistic: number,
    examples: DriftEvidence['examples'],
    previous?: DriftCounts,
  ): DriftEvidence => ({
    runs,
    key,
    counts: { current: t.current, baseline: t.baseline, ...(previous ? { previous } : {}) },
    statisticName,
    statistic,
    pValue: t.p,
    adjustedP: t.adjusted,
    alpha: opts.alpha,
    method,
    threshold: noise.rate,
    noiseFloor: noise,
    examples,
  });

  for (const t of tests) {
    if (t.kind === 'group') {
      const g = t.group!;
      const rate = t.current.counts.refused / t.current.responses;
      const baseRate = t.baseline.counts.refused / t.baseline.responses;
      const delta = rate - baseRate;
      if (!(t.adjusted <= opts.alpha && Math.abs(delta) > noise.rate)) continue;
      const scope = g.category === undefined ? 'all non-control questions' : `category ${g.category ?? '(none)'}`;
      const example = groupExample(g, states, at, series);
      findings.push({
        rule: 'refusal_shift',
        fingerprint: `refusal_shift:${g.model}|${g.region}|${g.category === undefined ? '*' : (g.category ?? '')}:${run.jobId}`,
        jobId: run.jobId,
        severity: SEVERITY.refusal_shift,
        summary:
          `${g.model} in ${g.region}, ${scope}: refusal rate ${pct(rate)} (${t.current.counts.refused}/${t.current.responses}) ` +
          `vs ${pct(baseRate)} (${t.baseline.counts.refused}/${t.baseline.responses}) over ${t.baseRuns} baseline runs; ` +
          `Fisher p=${num(t.p)}, adjusted p=${num(t.adjusted)} ≤ ${opts.alpha}; change ${signedPct(delta)} beyond the noise floor ${pct(noise.rate)}`,
        evidence: evidenceOf(
          t,
          { model: g.model, region: g.region, ...(g.category === undefined ? {} : { category: g.category }) },
          'refusal rate change',
          delta,
          example,
        ),
      });
      continue;
    }
    const s = t.state!;
    const cur = s.cur!;
    const l = cur.label!;
    const prevLabel = s.prev?.label ?? null;
    if (prevLabel === null || prevLabel === l) continue;
    const effect = cur.counts[l] / cur.responses - s.base.counts[l] / s.base.responses;
    const significant = t.adjusted <= opts.alpha;
    const unanimous =
      cur.counts[l] === cur.responses &&
      s.base.counts[prevLabel] === s.base.responses &&
      noise.cellsFlipped * noise.controlCells > noise.controlCellsFlipped * noise.cells;
    if (!(effect > noise.rate && (significant || unanimous))) continue;
    const c = s.cell;
    findings.push({
      rule: 'label_flip',
      fingerprint: `label_flip:${c.model}|${c.region}|${c.questionId}:${run.jobId}`,
      jobId: run.jobId,
      severity: SEVERITY.label_flip,
      summary:
        `${c.questionId} × ${c.model} × ${c.region}: ${prevLabel} → ${l} (${cur.counts[l]}/${cur.responses} ${l}; ` +
        `baseline ${s.base.counts[l]}/${s.base.responses} over ${s.baseRuns} runs); ` +
        (significant
          ? `Fisher p=${num(t.p)}, adjusted p=${num(t.adjusted)} ≤ ${opts.alpha}`
          : `unanimous after a stable history (adjusted p=${num(t.adjusted)})`),
      evidence: {
        ...evidenceOf(
          t,
          { model: c.model, region: c.region, questionId: c.questionId, category: c.category },
          `share of ${l} minus its baseline share`,
          effect,
          examplesOf(c, s.prev, cur, series, at - 1, at),
          countsOf(s.prev!),
        ),
        method: significant ? method : `unanimous flip after a stable baseline (control cells flip less often); ${method}`,
      },
    });
  }

  let responseChecks = 0;
  for (const s of states.values()) {
    const c = s.cell;
    const sim = s.cur?.similarityToPrevious ?? null;
    if (c.control || sim === null) continue;
    const history: number[] = [];
    for (let b = at - 1; b >= 0 && history.length < opts.historyRuns; b--) {
      const v = c.points[b]?.similarityToPrevious;
      if (v !== null && v !== undefined) history.push(v);
    }
    if (history.length < opts.minHistoryRuns) continue;
    responseChecks += 1;
    const { median, mad } = medianMad(history);
    const own = median - opts.madK * MAD_SCALE * mad;
    const threshold = noise.similarityFloor === null ? own : Math.min(own, noise.similarityFloor);
    if (!(sim < threshold - EPSILON)) continue;
    const cur = s.cur!;
    findings.push({
      rule: 'response_drift',
      fingerprint: `response_drift:${c.model}|${c.region}|${c.questionId}:${run.jobId}`,
      jobId: run.jobId,
      severity: SEVERITY.response_drift,
      summary:
        `${c.questionId} × ${c.model} × ${c.region}: similarity to the previous answer ${sim.toFixed(3)}, below ${threshold.toFixed(3)} ` +
        `(own history median ${median.toFixed(3)} − ${opts.madK} × scaled MAD ${(MAD_SCALE * mad).toFixed(3)} over ${history.length} runs` +
        `${noise.similarityFloor === null ? '' : `; control floor ${noise.similarityFloor.toFixed(3)}`})`,
      evidence: {
        runs,
        key: { model: c.model, region: c.region, questionId: c.questionId, category: c.category },
        counts: { current: countsOf(cur), baseline: s.base, ...(s.prev ? { previous: countsOf(s.prev) } : {}) },
        statisticName: 'similarity to the previous answer',
        statistic: sim,
        pValue: null,
        adjustedP: null,
        alpha: opts.alpha,
        method: `similarity below min(own median − ${opts.madK} × 1.4826 × MAD of the last ${history.length} similarities, control similarity floor)`,
        threshold,
        noiseFloor: noise,
        examples: examplesOf(c, s.prev, cur, series, at - 1, at),
      },
    });
  }

  const count = (rule: DriftRuleId) => findings.filter((f) => f.rule === rule).length;
  return {
    stats: {
      runIndex: run.index,
      jobId: run.jobId,
      tests: tests.length,
      groupTests: tests.filter((t) => t.kind === 'group').length,
      cellTests: tests.filter((t) => t.kind === 'cell').length,
      rejected: tests.filter((t) => t.adjusted <= opts.alpha).length,
      rawRejected: tests.filter((t) => t.p <= opts.alpha).length,
      responseChecks,
      findings: { label_flip: count('label_flip'), refusal_shift: count('refusal_shift'), response_drift: count('response_drift') },
    },
    findings,
  };
}

/** The run's noise floor from its control cells (see {@link evaluateRun}). */
function noiseFloor(states: CellState[], window: { from: number; at: number }, opts: DriftOptions): DriftNoiseFloor {
  let controlResponses = 0;
  let controlChanged = 0;
  let controlCells = 0;
  let controlCellsFlipped = 0;
  let cells = 0;
  let cellsFlipped = 0;
  const similarities: number[] = [];
  for (const s of states) {
    const { cur, prev } = s;
    if (!cur || cur.responses === 0) continue;
    const flipped = cur.label !== null && prev?.label !== null && prev?.label !== undefined ? cur.label !== prev.label : null;
    if (s.cell.control) {
      if (s.base.responses > 0) {
        controlResponses += cur.responses;
        controlChanged += cur.responses - cur.counts[majority(s.base)];
      }
      if (flipped !== null) {
        controlCells += 1;
        if (flipped) controlCellsFlipped += 1;
      }
      for (let b = window.from; b <= window.at; b++) {
        const v = s.cell.points[b]?.similarityToPrevious;
        if (v !== null && v !== undefined) similarities.push(v);
      }
    } else if (flipped !== null) {
      cells += 1;
      if (flipped) cellsFlipped += 1;
    }
  }
  const similarityFloor = similarities.length > 0 ? quantile(similarities, opts.alpha) : null;
  return {
    controlResponses,
    controlChanged,
    rate: controlResponses === 0 ? 0 : controlChanged / controlResponses,
    controlCells,
    controlCellsFlipped,
    cells,
    cellsFlipped,
    similarityFloor,
  };
}

/** The example of a refusal group: the cell whose refusal share rose (or fell) most, its previous and current answer. */
function groupExample(g: Group, states: Map<CellHistory, CellState>, at: number, series: TrendSeries): DriftEvidence['examples'] {
  let best: CellState | null = null;
  let bestMove = -1;
  for (const cell of g.cells) {
    const s = states.get(cell)!;
    if (!s.cur || s.cur.responses === 0 || s.base.responses === 0) continue;
    const move = Math.abs(s.cur.counts.refused / s.cur.responses - s.base.counts.refused / s.base.responses);
    if (move > bestMove) {
      best = s;
      bestMove = move;
    }
  }
  if (!best) return { before: null, after: null, diff: [] };
  // The answer before is the newest baseline answer with text.
  let beforeAt = at - 1;
  while (beforeAt >= 0 && !best.cell.points[beforeAt]?.sample) beforeAt -= 1;
  return examplesOf(best.cell, beforeAt >= 0 ? best.cell.points[beforeAt] : undefined, best.cur!, series, beforeAt, at);
}

function examplesOf(
  cell: CellHistory,
  before: TrendPoint | undefined,
  after: TrendPoint,
  series: TrendSeries,
  beforeAt: number,
  afterAt: number,
): DriftEvidence['examples'] {
  const example = (p: TrendPoint | undefined, at: number): DriftExample | null =>
    p
      ? {
          jobId: series.runs[at]!.jobId,
          questionId: cell.questionId,
          model: cell.model,
          region: cell.region,
          label: p.label,
          text: p.sample,
        }
      : null;
  const b = example(before, beforeAt);
  const a = example(after, afterAt);
  return { before: b, after: a, diff: wordChanges(b?.text ?? '', a?.text ?? '') };
}

function emptyCounts(): DriftCounts {
  return { responses: 0, counts: { answered: 0, refused: 0, partial: 0, empty: 0, filtered: 0 } };
}

function addCounts(into: DriftCounts, from: Pick<TrendPoint, 'responses' | 'counts'>): void {
  into.responses += from.responses;
  for (const l of TREND_LABELS) into.counts[l] += from.counts[l];
}

function countsOf(p: TrendPoint): DriftCounts {
  return { responses: p.responses, counts: { ...p.counts } };
}

/** The most frequent label, ties broken as the trend contract breaks them. */
function majority(c: DriftCounts): TrendLabel {
  return TIE_ORDER.reduce((best, l) => (c.counts[l] > c.counts[best] ? l : best), TIE_ORDER[0]!);
}

/** Median and median absolute deviation of a non-empty list. */
export function medianMad(values: readonly number[]): { median: number; mad: number } {
  const median = medianOf(values);
  return { median, mad: medianOf(values.map((v) => Math.abs(v - median))) };
}

/** The empirical q-quantile (the smallest value with at least q of the values at or below it) of a non-empty list. */
function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function signedPct(x: number): string {
  return `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)} points`;
}

function num(p: number): string {
  return p < 1e-4 ? p.toExponential(2) : p.toFixed(4);
}
