import { compareCells, type TrendPoint, type TrendRun, type TrendSeries } from '@beacon/domain';
import { cosineOfSquares, gramCounts, squaredNorm } from '../text-similarity.js';

/** A run as stored or read live, before it has a place in a series. */
export type TrendRunRecord = Omit<TrendRun, 'index'>;

/** A point as stored or read live, before it has a run index and a similarity to the previous run. */
export type TrendPointRecord = Omit<TrendPoint, 'runIndex' | 'similarityToPrevious'>;

/** What a series is asked for. */
export type TrendSeriesSource = TrendSeries['source'];

/**
 * Puts runs and points in series order: runs oldest first (by `createdAt`, then job id), points by (question, model,
 * region, run index), and sets each point's `similarityToPrevious`: {@link textSimilarity} of its sample and the sample
 * of the same cell in the run just before (null in the first run, when that run has no point for the cell, or when
 * either has no sample). Each sample's 3-grams are computed once. Points of a job that is not among the runs are
 * dropped.
 */
export function assembleTrendSeries(
  source: TrendSeriesSource,
  runs: readonly TrendRunRecord[],
  points: readonly TrendPointRecord[],
): TrendSeries {
  const a = prepare(source, runs, points);
  a.step(Number.POSITIVE_INFINITY);
  return a.series;
}

/**
 * {@link assembleTrendSeries} in slices of about `sliceMs` of work, yielding to the event loop between slices: a series
 * of 1,000 runs × 72 cells compares 72,000 pairs of answers, which must not hold a daemon's event loop for that long.
 */
export async function assembleTrendSeriesAsync(
  source: TrendSeriesSource,
  runs: readonly TrendRunRecord[],
  points: readonly TrendPointRecord[],
  sliceMs = 8,
): Promise<TrendSeries> {
  const a = prepare(source, runs, points);
  while (!a.step(sliceMs)) await new Promise<void>((resolve) => setImmediate(resolve));
  return a.series;
}

interface Grams {
  grams: Map<number | string, number>;
  squares: number;
}

/**
 * A sample's 3-gram counts, computed once per distinct text: consecutive runs often answer alike. `gramCounts` holds the
 * counts of `charNgrams` in the same order under cheaper keys, so the cosine is {@link textSimilarity}'s to the bit.
 */
function gramsOf(text: string, cache: Map<string, Grams>): Grams {
  let g = cache.get(text);
  if (!g) {
    const grams = gramCounts(text);
    g = { grams, squares: squaredNorm(grams) };
    cache.set(text, g);
  }
  return g;
}

/** The sorted series and a resumable pass that fills in the similarities; `step` returns true when done. */
function prepare(
  source: TrendSeriesSource,
  runRecords: readonly TrendRunRecord[],
  pointRecords: readonly TrendPointRecord[],
): { series: TrendSeries; step: (budgetMs: number) => boolean } {
  const ordered = [...runRecords].sort((x, y) => cmp(x.createdAt, y.createdAt) || cmp(x.jobId, y.jobId));
  const runs: TrendRun[] = ordered.map((r, index) => ({
    index,
    jobId: r.jobId,
    scheduleId: r.scheduleId,
    createdAt: r.createdAt,
    status: r.status,
  }));
  const indexOf = new Map(runs.map((r) => [r.jobId, r.index]));
  const points: TrendPoint[] = [];
  for (const p of pointRecords) {
    const runIndex = indexOf.get(p.jobId);
    if (runIndex === undefined) continue;
    points.push({ ...p, runIndex, similarityToPrevious: null });
  }
  points.sort((x, y) => compareCells(x, y) || x.runIndex - y.runIndex);
  const series: TrendSeries = { source, runs, points };
  let i = 0;
  let prevGrams: Grams | null = null;
  // Bounded by the series' distinct samples (at most one per point, each at most 2,000 characters).
  const cache = new Map<string, Grams>();
  const step = (budgetMs: number): boolean => {
    const deadline = performance.now() + budgetMs;
    while (i < points.length) {
      const p = points[i]!;
      const prev = i > 0 ? points[i - 1]! : null;
      const sameCell = prev !== null && compareCells(prev, p) === 0 && prev.runIndex === p.runIndex - 1;
      if (sameCell && p.sample !== null && p.sample === prev.sample) {
        // The same text: the same vector, whose cosine with itself is exactly 1 (two empty texts are identical too);
        // `prevGrams` already holds this text's grams.
        p.similarityToPrevious = 1;
      } else {
        const grams = p.sample === null ? null : gramsOf(p.sample, cache);
        if (sameCell && grams && prev.sample !== null && prevGrams) {
          p.similarityToPrevious = cosineOfSquares(prevGrams.grams, grams.grams, prevGrams.squares, grams.squares);
        }
        prevGrams = grams;
      }
      i += 1;
      if ((i & 63) === 0 && performance.now() > deadline) return i >= points.length;
    }
    return true;
  };
  return { series, step };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
