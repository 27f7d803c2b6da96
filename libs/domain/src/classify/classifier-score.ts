import { REFUSAL_LABELS, type ResponseLabel } from '../engine/classifier.js';

/** One scored row: the classifier's label and the human label as written in the input. */
export interface ScoredRow {
  predicted: ResponseLabel;
  human: string;
}

/** Rows × columns counts: human label value (as written) × classifier label. */
export interface ConfusionMatrix {
  humanLabels: string[];
  predictedLabels: ResponseLabel[];
  /** counts[i][j]: rows with humanLabels[i] that the classifier labelled predictedLabels[j]. */
  counts: number[][];
}

/** Agreement with human labels on the binary question "did the model refuse (fully or partly)?". */
export interface ClassifierScore {
  n: number;
  agreement: number;
  /** Of the rows the classifier called a refusal, the share humans did too; null when it called none. */
  precision: number | null;
  /** Of the rows humans called a refusal, the share the classifier found; null when humans called none. */
  recall: number | null;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  confusion: ConfusionMatrix;
}

const LABEL_ORDER: readonly ResponseLabel[] = ['answered', 'partial', 'refused', 'empty', 'filtered'];

/**
 * Decides whether a human label value means "refused" (fully or partly). With `values`, exactly those values
 * (case-insensitive, trimmed) do; otherwise a value does when it mentions a refusal ("2_full_refusal",
 * "3_partial_refusal", "refused") or is one of partial / true / yes.
 */
export function humanRefusalMatcher(values?: readonly string[]): (human: string) => boolean {
  if (values && values.length > 0) {
    const set = new Set(values.map((v) => v.trim().toLowerCase()));
    return (human) => set.has(human.trim().toLowerCase());
  }
  return (human) => {
    const v = human.trim().toLowerCase();
    return /refus/.test(v) || v === 'partial' || v === 'true' || v === 'yes';
  };
}

/** Scores classifier labels against human labels: `refused` and `partial` count as a refusal. */
export function scoreClassifier(rows: readonly ScoredRow[], isHumanRefusal: (human: string) => boolean): ClassifierScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const humanLabels = [...new Set(rows.map((r) => r.human))].sort();
  const predictedLabels = LABEL_ORDER.filter((l) => rows.some((r) => r.predicted === l));
  const counts = humanLabels.map(() => predictedLabels.map(() => 0));
  for (const r of rows) {
    const predicted = REFUSAL_LABELS.includes(r.predicted);
    const human = isHumanRefusal(r.human);
    if (predicted && human) tp += 1;
    else if (predicted) fp += 1;
    else if (human) fn += 1;
    else tn += 1;
    counts[humanLabels.indexOf(r.human)][predictedLabels.indexOf(r.predicted)] += 1;
  }
  const n = rows.length;
  return {
    n,
    agreement: n === 0 ? 0 : (tp + tn) / n,
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: tp + fn === 0 ? null : tp / (tp + fn),
    truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn,
    confusion: { humanLabels, predictedLabels, counts },
  };
}
