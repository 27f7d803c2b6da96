import { mulberry32 } from '@beacon/domain';
import type { Band, ResponseLabel } from './analysis.types.js';
import { cosineOfSquares, gramCounts, squaredNorm } from './text-similarity.js';

/** One response to compare: its label and its text. */
export interface LabelledText {
  label: ResponseLabel;
  text: string;
}

/** Labels that carry no answer: two of the same kind agree whatever their wording or language. */
const NON_ANSWERS = new Set<ResponseLabel>(['refused', 'empty', 'filtered']);
const SUBSTANTIVE = new Set<ResponseLabel>(['answered', 'partial']);

/**
 * Distance of two responses in [0, 1], gated by their labels (`similarity` is their text similarity):
 * - different labels: 1, except answered against partial, 0.5 + half the text distance;
 * - the same non-answer label (refused, empty, filtered): 0;
 * - both answered (or both partial): 1 − text similarity.
 */
export function answerDistance(a: Pick<LabelledText, 'label'>, b: Pick<LabelledText, 'label'>, similarity: number): number {
  if (a.label !== b.label) {
    if (SUBSTANTIVE.has(a.label) && SUBSTANTIVE.has(b.label)) return 0.5 + 0.5 * (1 - similarity);
    return 1;
  }
  if (NON_ANSWERS.has(a.label)) return 0;
  return 1 - similarity;
}

/** Responses of one (question, model) pair grouped by region, with every pairwise distance precomputed. */
export class DistanceTable {
  /** Flat response indices, one list per region. */
  readonly groups: number[][];
  readonly responses: LabelledText[];
  private readonly n: number;
  private readonly d: Float64Array;
  private readonly s: Float64Array;

  constructor(byRegion: readonly (readonly LabelledText[])[]) {
    this.responses = byRegion.flat();
    this.n = this.responses.length;
    let next = 0;
    this.groups = byRegion.map((g) => g.map(() => next++));
    // Numeric gram keys: the same counts in the same order as charNgrams, so every cosine is the same to the last bit.
    const grams = this.responses.map((r) => gramCounts(r.text));
    const squares = grams.map(squaredNorm);
    this.d = new Float64Array(this.n * this.n);
    this.s = new Float64Array(this.n * this.n);
    for (let i = 0; i < this.n; i++) {
      this.s[i * this.n + i] = 1;
      for (let j = i + 1; j < this.n; j++) {
        const similarity = cosineOfSquares(grams[i]!, grams[j]!, squares[i]!, squares[j]!);
        this.s[i * this.n + j] = this.s[j * this.n + i] = similarity;
        this.d[i * this.n + j] = this.d[j * this.n + i] = answerDistance(this.responses[i]!, this.responses[j]!, similarity);
      }
    }
  }

  /** Distance of responses i and j (flat indices). */
  distance(i: number, j: number): number {
    return this.d[i * this.n + j]!;
  }

  /** Text similarity of responses i and j (flat indices). */
  similarity(i: number, j: number): number {
    return this.s[i * this.n + j]!;
  }

  /** Mean distance between two lists of responses (flat indices); 0 for an empty list. */
  meanBetween(a: readonly number[], b: readonly number[]): number {
    let sum = 0;
    for (const i of a) for (const j of b) sum += this.distance(i, j);
    return a.length && b.length ? sum / (a.length * b.length) : 0;
  }
}

/**
 * Divergence of a pair: the mean, over every two regions that have responses, of the mean distance between their
 * responses. `groups` are flat response indices per region (possibly a bootstrap resample); null with fewer than two
 * non-empty regions.
 */
export function divergenceOf(table: DistanceTable, groups: readonly (readonly number[])[]): number | null {
  const present = groups.filter((g) => g.length > 0);
  if (present.length < 2) return null;
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < present.length; a++) {
    for (let b = a + 1; b < present.length; b++) {
      sum += table.meanBetween(present[a]!, present[b]!);
      pairs += 1;
    }
  }
  return sum / pairs;
}

/** Mean distance between replicates of the same region, over regions with at least two; null when none has two. */
export function withinRegionDistance(table: DistanceTable, groups: readonly (readonly number[])[]): number | null {
  const values: number[] = [];
  for (const g of groups) {
    if (g.length < 2) continue;
    let sum = 0;
    let n = 0;
    for (let x = 0; x < g.length; x++)
      for (let y = x + 1; y < g.length; y++) {
        sum += table.distance(g[x]!, g[y]!);
        n += 1;
      }
    values.push(sum / n);
  }
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/**
 * 95 % percentile-bootstrap band of {@link divergenceOf}: each resample draws every region's replicates with
 * replacement (same count), from a PRNG seeded by `seed`, so the band is reproducible. The band is widened to contain
 * the point estimate (a percentile interval of a skewed statistic can miss it). Null when no region has two responses
 * (a single answer per region says nothing about sampling variation) or the divergence is undefined.
 */
export function bootstrapBand(table: DistanceTable, groups: readonly (readonly number[])[], resamples: number, seed: number): Band | null {
  const point = divergenceOf(table, groups);
  if (point === null || !groups.some((g) => g.length >= 2)) return null;
  const random = mulberry32(seed);
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const resampled = groups.map((g) => g.map(() => g[Math.floor(random() * g.length)]!));
    values[r] = divergenceOf(table, resampled)!;
  }
  values.sort();
  return { low: Math.min(point, quantile(values, 0.025)), high: Math.max(point, quantile(values, 0.975)) };
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** FNV-1a hash of a string, for per-pair seeds that do not depend on the order pairs are analysed in. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Sparse vector: gram (see {@link gramCounts}) → weight. */
type SparseVector = Map<number | string, number>;

function addScaled(into: SparseVector, grams: SparseVector, scale: number): void {
  for (const [g, n] of grams) into.set(g, (into.get(g) ?? 0) + n * scale);
}

function dot(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let s = 0;
  for (const [g, w] of small) s += w * (large.get(g) ?? 0);
  return s;
}

/** Responses of one label in one region, reduced to what sums of similarities need. */
interface LabelSums {
  /** Responses. */
  count: number;
  /** Responses with no 3-gram (empty after normalisation): cosine 1 with each other, 0 with any other text. */
  empty: number;
  /** Sum of the unit-length gram vectors of the other responses. */
  unit: SparseVector;
}

/**
 * Exact means over every pair of responses without visiting the pairs: the cosine of two gram vectors is the dot
 * product of their unit vectors, so the sum of cosines over A × B is (Σ unit vectors of A) · (Σ unit vectors of B),
 * and the label-gated distance is linear in the cosine. Cost O(responses × grams) instead of O(responses²); the
 * results equal {@link DistanceTable}'s up to floating-point rounding.
 */
export class PairSums {
  private readonly sums: Map<ResponseLabel, LabelSums>[];
  readonly sizes: number[];

  constructor(byRegion: readonly (readonly LabelledText[])[]) {
    this.sizes = byRegion.map((g) => g.length);
    this.sums = byRegion.map((group) => {
      // Replicates often repeat an answer word for word: each distinct text is reduced once, weighted by its count.
      const distinct = new Map<ResponseLabel, Map<string, number>>();
      for (const r of group) {
        let texts = distinct.get(r.label);
        if (!texts) distinct.set(r.label, (texts = new Map<string, number>()));
        texts.set(r.text, (texts.get(r.text) ?? 0) + 1);
      }
      const m = new Map<ResponseLabel, LabelSums>();
      for (const [label, texts] of distinct) {
        const s: LabelSums = { count: 0, empty: 0, unit: new Map() };
        m.set(label, s);
        for (const [text, count] of texts) {
          s.count += count;
          const grams = gramCounts(text);
          if (grams.size === 0) {
            s.empty += count;
            continue;
          }
          addScaled(s.unit, grams, count / Math.sqrt(squaredNorm(grams)));
        }
      }
      return m;
    });
  }

  /** Sum of text similarities over every (response of a, response of b), and over label-agreeing and label-gated distances. */
  between(a: number, b: number): { distance: number; similarity: number; agreeing: number; pairs: number } {
    let distance = 0;
    let similarity = 0;
    let agreeing = 0;
    for (const [la, A] of this.sums[a]!)
      for (const [lb, B] of this.sums[b]!) {
        const n = A.count * B.count;
        const sim = A.empty * B.empty + dot(A.unit, B.unit);
        similarity += sim;
        distance += gatedSum(la, lb, n, sim);
        if (la === lb) agreeing += n;
      }
    return { distance, similarity, agreeing, pairs: this.sizes[a]! * this.sizes[b]! };
  }

  /** Same as {@link divergenceOf} over every response. */
  divergence(): number | null {
    const present = this.sizes.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0);
    if (present.length < 2) return null;
    let sum = 0;
    let pairs = 0;
    for (let x = 0; x < present.length; x++)
      for (let y = x + 1; y < present.length; y++) {
        const r = this.between(present[x]!, present[y]!);
        sum += r.distance / r.pairs;
        pairs += 1;
      }
    return sum / pairs;
  }

  /** Same as {@link withinRegionDistance} over every response. */
  withinRegion(): number | null {
    const values: number[] = [];
    for (const [r, n] of this.sizes.entries()) {
      if (n < 2) continue;
      const labels = [...this.sums[r]!];
      let sum = 0;
      for (let x = 0; x < labels.length; x++) {
        const [l, S] = labels[x]!;
        // Pairs within one label: every unordered pair once (a vector's cosine with itself is 1).
        const unordered = (S.count * (S.count - 1)) / 2;
        const selfSim = (S.empty * (S.empty - 1)) / 2 + (dot(S.unit, S.unit) - (S.count - S.empty)) / 2;
        sum += gatedSum(l, l, unordered, selfSim);
        for (let y = x + 1; y < labels.length; y++) {
          const [m, T] = labels[y]!;
          sum += gatedSum(l, m, S.count * T.count, S.empty * T.empty + dot(S.unit, T.unit));
        }
      }
      values.push(sum / ((n * (n - 1)) / 2));
    }
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  }
}

/** Sum of {@link answerDistance} over `pairs` response pairs of labels a and b whose similarities sum to `similarity`. */
function gatedSum(a: ResponseLabel, b: ResponseLabel, pairs: number, similarity: number): number {
  if (a !== b) return SUBSTANTIVE.has(a) && SUBSTANTIVE.has(b) ? pairs - 0.5 * similarity : pairs;
  return NON_ANSWERS.has(a) ? 0 : pairs - similarity;
}

/**
 * A seeded sample of at most `size` indices of `0..n-1` (without replacement, kept in ascending order), by a partial
 * Fisher–Yates shuffle: the same seed gives the same sample.
 */
export function sampleIndices(n: number, size: number, seed: number): number[] {
  if (n <= size) return Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, size).sort((a, b) => a - b);
}
