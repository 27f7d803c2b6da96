import type { ExecutionView } from '@beacon/domain';
import { RESPONSE_LABELS, type LabelCounts, type Rate, type ResponseLabel } from './analysis.types.js';

/** A cell as the analysis reads it (a subset of the API's ExecutionView). */
export type AnalysisCell = Pick<
  ExecutionView,
  'id' | 'questionId' | 'modelId' | 'region' | 'replicate' | 'state' | 'classification' | 'response'
> & {
  /** The cell's variant; left out, the default (`''`). */
  variant?: string;
  /** True when `response` is only the start of a longer stored text. */
  responseTruncated?: boolean;
};

/** The cell's response label, or null when it has no usable response (not succeeded, or an unknown label). */
export function labelOf(cell: Pick<AnalysisCell, 'state' | 'classification'>): ResponseLabel | null {
  if (cell.state !== 'succeeded' || cell.classification === null) return null;
  return (RESPONSE_LABELS as readonly string[]).includes(cell.classification) ? (cell.classification as ResponseLabel) : null;
}

/** Counts the cells' responses by label. */
export function countLabels(cells: readonly AnalysisCell[]): LabelCounts {
  const counts: LabelCounts = { responses: 0, answered: 0, partial: 0, refused: 0, empty: 0, filtered: 0, noResponse: 0 };
  for (const cell of cells) {
    const label = labelOf(cell);
    if (label === null) counts.noResponse += 1;
    else {
      counts.responses += 1;
      counts[label] += 1;
    }
  }
  return counts;
}

/** `count` of `of` with its 95 % Wilson score interval (sound for small n and for rates of 0 or 1). */
export function wilson(count: number, of: number, z = 1.959964): Rate {
  if (of <= 0) return { count, of, rate: null, low: null, high: null };
  const p = count / of;
  const z2 = z * z;
  const denom = 1 + z2 / of;
  const centre = (p + z2 / (2 * of)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / of + z2 / (4 * of * of))) / denom;
  return { count, of, rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** The most frequent label; ties go to the first in refused, partial, filtered, empty, answered. */
export function majorityLabel(counts: LabelCounts): ResponseLabel | null {
  if (counts.responses === 0) return null;
  const order: ResponseLabel[] = ['refused', 'partial', 'filtered', 'empty', 'answered'];
  return order.reduce((best, l) => (counts[l] > counts[best] ? l : best), order[0]!);
}
