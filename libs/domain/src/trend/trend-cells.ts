import type { TrendCellKey, TrendLabel, TrendPoint, TrendRun, TrendSeries } from './trend.types.js';

/** One cell (question, model, region) of a series across its runs, without its points: what a strip is drawn from. */
export interface TrendCellCore extends TrendCellKey {
  category: string | null;
  /** Refusal rate per run: `counts.refused / responses`, null without responses. */
  rates: (number | null)[];
  /** Majority label per run, null without responses. */
  labels: (TrendLabel | null)[];
  /** Per run: true when its label differs from the previous run's, both labelled (a flip). */
  flipAt: boolean[];
  /** How many flips. */
  flips: number;
  /** The last run's label. */
  lastLabel: TrendLabel | null;
  /** The last run's similarity to the run before it. */
  lastSimilarity: number | null;
}

/** A cell with every point of it: what `beacon trend` and drift detection read. */
export interface TrendCell extends TrendCellCore {
  /** One entry per run of the series (by run index); null where the run has no point for the cell. */
  points: (TrendPoint | null)[];
}

/** A cell as the Trends screen keeps it: its strip and the newest run's sample, no points. */
export interface TrendCellSummary extends TrendCellCore {
  /** The newest run's sample (its first replicate's answer, cut as the point's), null without one. */
  newestSample: string | null;
}

/**
 * A series summarised by cell (`GET /api/v1/trends/cells`): what the Trends screen draws. At 1,000 runs × 72 cells the
 * full series is 40.5 MiB of JSON and about 72,000 objects on the client's heap, which every major garbage collection
 * walks between two frames; the summary is a few arrays per cell.
 */
export interface TrendSummary {
  source: TrendSeries['source'];
  runs: TrendRun[];
  cells: TrendCellSummary[];
}

/** The summary of a series: its cells (as {@link trendCells}) without points, each with its newest sample. */
export function summariseTrend(series: TrendSeries): TrendSummary {
  const newest = series.runs.length - 1;
  return {
    source: series.source,
    runs: series.runs,
    cells: trendCells(series).map(({ points, ...core }) => ({ ...core, newestSample: points[newest]?.sample ?? null })),
  };
}

/** The refusal rate of a point (`counts.refused / responses`), or null without responses. */
export function refusalRate(p: Pick<TrendPoint, 'counts' | 'responses'>): number | null {
  return p.responses > 0 ? p.counts.refused / p.responses : null;
}

/** The key of a cell, for maps. */
export function trendCellKey(c: TrendCellKey): string {
  // The default variant keeps the key it always had; cells of two variants are two cells.
  return JSON.stringify(c.variant ? [c.questionId, c.model, c.region, c.variant] : [c.questionId, c.model, c.region]);
}

/**
 * A series' cells in (question, model, region) order, each with its points across runs, rates, labels and flips. Linear
 * in the number of points.
 */
export function trendCells(series: Pick<TrendSeries, 'runs' | 'points'>): TrendCell[] {
  const n = series.runs.length;
  const byKey = new Map<string, TrendCell>();
  for (const p of series.points) {
    const key = trendCellKey(p);
    let cell = byKey.get(key);
    if (!cell) {
      cell = {
        questionId: p.questionId,
        model: p.model,
        region: p.region,
        ...(p.variant ? { variant: p.variant } : {}),
        category: p.category,
        points: new Array<TrendPoint | null>(n).fill(null),
        rates: new Array<number | null>(n).fill(null),
        labels: new Array<TrendLabel | null>(n).fill(null),
        flipAt: new Array<boolean>(n).fill(false),
        flips: 0,
        lastLabel: null,
        lastSimilarity: null,
      };
      byKey.set(key, cell);
    }
    if (p.runIndex < 0 || p.runIndex >= n) continue;
    cell.points[p.runIndex] = p;
    cell.rates[p.runIndex] = refusalRate(p);
    cell.labels[p.runIndex] = p.label;
    if (cell.category === null) cell.category = p.category;
  }
  const cells = [...byKey.values()].sort(compareCells);
  for (const c of cells) {
    for (let i = 1; i < n; i++) {
      const a = c.labels[i - 1];
      const b = c.labels[i];
      if (a != null && b != null && a !== b) {
        c.flipAt[i] = true;
        c.flips += 1;
      }
    }
    c.lastLabel = n > 0 ? (c.labels[n - 1] ?? null) : null;
    c.lastSimilarity = n > 0 ? (c.points[n - 1]?.similarityToPrevious ?? null) : null;
  }
  return cells;
}

/** Order of cells and points: question, model, region, variant (code-unit order, as the API sorts them). */
export function compareCells(a: TrendCellKey, b: TrendCellKey): number {
  return cmp(a.questionId, b.questionId) || cmp(a.model, b.model) || cmp(a.region, b.region) || cmp(a.variant ?? '', b.variant ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Eight levels, lowest to highest. */
export const SPARK_LEVELS = '▁▂▃▄▅▆▇█';

/** The glyph of a rate in [0, 1] (null: `gap`). */
export function sparkGlyph(rate: number | null, gap = '·'): string {
  if (rate === null || Number.isNaN(rate)) return gap;
  const r = Math.min(1, Math.max(0, rate));
  return SPARK_LEVELS[Math.round(r * (SPARK_LEVELS.length - 1))]!;
}

/** A sparkline of rates in [0, 1], one glyph each; null values are `gap`. */
export function sparkline(rates: readonly (number | null)[], gap = '·'): string {
  let s = '';
  for (const r of rates) s += sparkGlyph(r, gap);
  return s;
}

/** One letter per label (`A`nswered, `P`artial, `R`efused, `E`mpty, `F`iltered), `·` for none. */
export const LABEL_GLYPHS: Readonly<Record<TrendLabel, string>> = { answered: 'A', partial: 'P', refused: 'R', empty: 'E', filtered: 'F' };

/** A strip of label glyphs. */
export function labelStrip(labels: readonly (TrendLabel | null)[], gap = '·'): string {
  let s = '';
  for (const l of labels) s += l === null ? gap : LABEL_GLYPHS[l];
  return s;
}
