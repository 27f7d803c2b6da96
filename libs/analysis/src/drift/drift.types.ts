import type { TrendLabel, TrendSeries, WordChange } from '@beacon/domain';

/** The three drift rules; none is a reconciler rule id (a unit test holds them apart). */
export type DriftRuleId = 'label_flip' | 'refusal_shift' | 'response_drift';

/** How bad a finding is, in the reconciler's words (the findings table holds both). */
export type DriftSeverity = 'info' | 'warning' | 'critical';

/** A drift rule as the findings table, the API and the TUI name it. */
export interface DriftRule {
  id: DriftRuleId;
  severity: DriftSeverity;
  title: string;
  explanation: string;
}

/** Tunables of {@link detectDrift}; {@link DRIFT_DEFAULTS} holds the defaults. */
export interface DriftOptions {
  /** The false discovery rate of the Benjamini–Hochberg adjustment over one run's tests, and the bar of each test. */
  alpha: number;
  /** Runs before the evaluated one pooled as its baseline (W). */
  baselineRuns: number;
  /** refusal_shift and label_flip need at least this many baseline runs with responses. */
  minBaselineRuns: number;
  /** response_drift compares a cell with at most this many of its own previous similarities... */
  historyRuns: number;
  /** ...and needs at least this many. */
  minHistoryRuns: number;
  /** response_drift: how many scaled MADs below the median a similarity must fall. */
  madK: number;
}

/** Defaults: q = 0.01 over 5 baseline runs (at least 2); response history 3 to 10 runs, 4 scaled MADs. */
export const DRIFT_DEFAULTS: Readonly<DriftOptions> = Object.freeze({
  alpha: 0.01,
  baselineRuns: 5,
  minBaselineRuns: 2,
  historyRuns: 10,
  minHistoryRuns: 3,
  madK: 4,
});

/** Label counts of some responses. */
export interface DriftCounts {
  responses: number;
  counts: Record<TrendLabel, number>;
}

/** One example answer, with where it comes from. */
export interface DriftExample {
  jobId: string;
  questionId: string;
  model: string;
  region: string;
  label: TrendLabel | null;
  text: string | null;
}

/** The noise floor of a run, from its control questions. */
export interface DriftNoiseFloor {
  /** Control responses of the run, and how many carry a label other than their cell's baseline majority label. */
  controlResponses: number;
  controlChanged: number;
  /** controlChanged / controlResponses (0 without control responses): an effect must exceed it. */
  rate: number;
  /** Control cells compared with the previous run, and how many changed majority label. */
  controlCells: number;
  controlCellsFlipped: number;
  /** The same for the other cells: label_flip's unanimous path needs cells to flip more often than controls do. */
  cells: number;
  cellsFlipped: number;
  /** Robust low bound of the control cells' similarity to their previous answer (median − k·scaled MAD); null without any. */
  similarityFloor: number | null;
}

/** What a finding rests on: the runs, the counts, the test and the example answers. */
export interface DriftEvidence {
  /** The evaluated run, the previous run and the pooled baseline window (job ids, oldest first). */
  runs: { current: string; previous: string | null; baseline: string[] };
  /** The cell or group: questionId for a cell; category for a (model, region, category) group. */
  key: { model: string; region: string; questionId?: string; category?: string | null };
  /** Counts of the current run and of the baseline window (label_flip adds the previous run's). */
  counts: { current: DriftCounts; baseline: DriftCounts; previous?: DriftCounts };
  /** What the statistic is, and its value. */
  statisticName: string;
  statistic: number;
  pValue: number | null;
  /** Benjamini–Hochberg adjusted over every test of the run; null for response_drift (a threshold, not a test). */
  adjustedP: number | null;
  alpha: number;
  method: string;
  /** The bar the effect had to clear, and the run's noise floor. */
  threshold: number | null;
  noiseFloor: DriftNoiseFloor;
  /** An answer before and after, and the word changes between them. */
  examples: { before: DriftExample | null; after: DriftExample | null; diff: WordChange[] };
}

/**
 * One drift finding, shaped as a `reconciler_findings` row: `rule` is its `rule_id`, the rest map 1:1 (the evidence
 * becomes the jsonb column).
 */
export interface DriftFinding {
  rule: DriftRuleId;
  /** rule + cell or group key + the run's job id: stable, so evaluating the same run twice updates one row. */
  fingerprint: string;
  /** The run where the drift appeared. */
  jobId: string;
  severity: DriftSeverity;
  summary: string;
  evidence: DriftEvidence;
}

/** What one evaluation counted, for the false-positive study: tests made and rejected, findings by rule. */
export interface DriftRunStats {
  runIndex: number;
  jobId: string;
  /** Tests in the run's family (refusal groups + cells), and how many the adjustment rejected. */
  tests: number;
  /** Of those, refusal-group tests (refusal_shift's denominator) and cell tests (label_flip's). */
  groupTests: number;
  cellTests: number;
  rejected: number;
  /** Tests whose raw p-value was ≤ alpha (before the adjustment). */
  rawRejected: number;
  /** Cells checked by response_drift. */
  responseChecks: number;
  findings: Record<DriftRuleId, number>;
}

/** One run's findings and counts. */
export interface DriftRunResult {
  stats: DriftRunStats;
  findings: DriftFinding[];
}

/**
 * Where drift detection gets a job's series: the runs of the same spec up to and including the job (the trends
 * reader implements it over the database); null when the job is unknown or belongs to no series.
 */
export interface TrendSource {
  seriesForJob(jobId: string): Promise<TrendSeries | null>;
}
