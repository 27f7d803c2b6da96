import { mulberry32 } from '@beacon/domain';
import type { Band, ResponseLabel } from './analysis.types.js';
import { charNgrams, cosine } from './text-similarity.js';

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
    const grams = this.responses.map((r) => charNgrams(r.text));
    this.d = new Float64Array(this.n * this.n);
    this.s = new Float64Array(this.n * this.n);
    for (let i = 0; i < this.n; i++) {
      this.s[i * this.n + i] = 1;
      for (let j = i + 1; j < this.n; j++) {
        const similarity = cosine(grams[i]!, grams[j]!);
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
    for (let x = 0; x < g.length; x++) for (let y = x + 1; y < g.length; y++) { sum += table.distance(g[x]!, g[y]!); n += 1; }
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
