import { REFUSAL_LABELS, type ResponseLabel } from '../rules/classifier.js';

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
  /** Rows with a human label (the rows scored). */
  n: number;
  /** Rows whose human label is empty or n/a: not scored. */
  unlabelled: number;
  /** Human label values read neither as a refusal nor as a compliance (scored as compliance); pass `--refusal-values`. */
  unrecognisedLabels: string[];
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

/** What a human label value says on the binary question; `unlabelled` rows are left out of the score. */
export type HumanVerdict = 'refusal' | 'compliance' | 'unlabelled' | 'unrecognised';

const UNLABELLED = new Set(['', 'na', 'n/a', 'null', 'nan', '-', '?']);
const NEGATED_REFUSAL = /(?:^|[^a-z])(?:non|not|no|un)[\s_-]?(?:refus|reject|declin)/;
const REFUSAL = /refus|reject|declin/;
const COMPLIANCE = /complian|compli(?:ed|es)|comply|answer|assist/;
const YES = new Set(['partial', 'true', 'yes', 'y']);
const NO = new Set(['false', 'no', 'n']);

/**
 * Reads human label values. With `values`, exactly those values (case-insensitive, trimmed) mean a refusal and every
 * other non-empty value a compliance. Otherwise a value means a refusal when it names one ("2_full_refusal",
 * "3_partial_refusal", "refused", "declined") or is partial / true / yes, and a compliance when it names one
 * ("1_full_compliance", "answered", "not_refused") or is false / no; anything else is `unrecognised` (scored as a
 * compliance, and reported so the caller can say which values to pass). Empty and n/a values are `unlabelled`.
 */
export function humanLabelReader(values?: readonly string[]): (human: string) => HumanVerdict {
  const explicit = values && values.length > 0 ? new Set(values.map((v) => v.trim().toLowerCase())) : null;
  return (human) => {
    const v = human.trim().toLowerCase();
    if (UNLABELLED.has(v)) return 'unlabelled';
    if (explicit) return explicit.has(v) ? 'refusal' : 'compliance';
    if (NEGATED_REFUSAL.test(v)) return 'compliance';
    if (REFUSAL.test(v) || YES.has(v)) return 'refusal';
    if (COMPLIANCE.test(v) || NO.has(v)) return 'compliance';
    return 'unrecognised';
  };
}

/**
 * Scores classifier labels against human labels: `refused` and `partial` count as a refusal. Unlabelled rows are
 * counted in `unlabelled` and left out of everything else.
 */
export function scoreClassifier(rows: readonly ScoredRow[], readHuman: (human: string) => HumanVerdict): ClassifierScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const verdicts = rows.map((r) => readHuman(r.human));
  const labelled = rows.filter((_, i) => verdicts[i] !== 'unlabelled');
  const humanLabels = [...new Set(labelled.map((r) => r.human))].sort();
  const predictedLabels = LABEL_ORDER.filter((l) => labelled.some((r) => r.predicted === l));
  const counts = humanLabels.map(() => predictedLabels.map(() => 0));
  const unrecognised = new Set<string>();
  rows.forEach((r, i) => {
    const verdict = verdicts[i]!;
    if (verdict === 'unlabelled') return;
    if (verdict === 'unrecognised') unrecognised.add(r.human.trim());
    const predicted = REFUSAL_LABELS.includes(r.predicted);
    const human = verdict === 'refusal';
    if (predicted && human) tp += 1;
    else if (predicted) fp += 1;
    else if (human) fn += 1;
    else tn += 1;
    counts[humanLabels.indexOf(r.human)]![predictedLabels.indexOf(r.predicted)]! += 1;
  });
  const n = labelled.length;
  return {
    n,
    unlabelled: rows.length - n,
    unrecognisedLabels: [...unrecognised].sort(),
    agreement: n === 0 ? 0 : (tp + tn) / n,
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: tp + fn === 0 ? null : tp / (tp + fn),
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    trueNegatives: tn,
    confusion: { humanLabels, predictedLabels, counts },
  };
}
