/**
 * The shapes of trends across runs (`beacon trend`, `GET /api/v1/trends`, the TUI's Trends screen) and the input of
 * drift detection. A *series* is an ordered list of runs of the same spec: the jobs a schedule fired, or jobs named by
 * the caller whose questions × models × regions agree. A *point* is one (question, model, region) of one run, over its
 * replicates.
 */

/** The classifier's labels, as trends count them (the same five as the classifier's). */
export type TrendLabel = 'answered' | 'refused' | 'partial' | 'empty' | 'filtered';

/** Every trend label, in display order. */
export const TREND_LABELS: readonly TrendLabel[] = ['answered', 'partial', 'refused', 'empty', 'filtered'];

/** The category that marks a control question: its answers set the noise floor of drift detection. */
export const CONTROL_CATEGORY = 'control';

/** One run of a series, oldest first (`index` 0). */
export interface TrendRun {
  index: number;
  jobId: string;
  /** The schedule that fired the job, if any. */
  scheduleId: string | null;
  /** When the job was created (ISO 8601): the series is ordered by it, then by job id. */
  createdAt: string;
  /** The job's status when the series was read. */
  status: string;
}

/** A cell of the matrix, across runs. */
export interface TrendCellKey {
  questionId: string;
  model: string;
  region: string;
  /** The cell's variant (language, prompt variant); left out for the default variant. */
  variant?: string;
}

/** One cell of one run, over its replicates. */
export interface TrendPoint extends TrendCellKey {
  runIndex: number;
  jobId: string;
  /** The question's category (`control` marks the noise floor); null when it has none. */
  category: string | null;
  /** Replicates planned for the cell in this run. */
  replicates: number;
  /** Replicates that succeeded with a label: the denominator of every rate. */
  responses: number;
  /** Responses by label; they sum to `responses`. */
  counts: Record<TrendLabel, number>;
  /** The most frequent label; ties go to the first of refused, partial, filtered, empty, answered. Null without responses. */
  label: TrendLabel | null;
  /** The first replicate's response text (cut to 2,000 characters), to show and to diff; null without one. */
  sample: string | null;
  /**
   * Similarity (0..1, character 3-gram cosine of `libs/analysis` `textSimilarity`) of this run's sample to the
   * previous run's sample of the same cell; null in the first run or when either has no sample.
   */
  similarityToPrevious: number | null;
}

/** A series: its runs and every point, ordered by (question, model, region, runIndex). */
export interface TrendSeries {
  /** What the series was asked for: a schedule id, or the job ids. */
  source: { kind: 'schedule'; scheduleId: string } | { kind: 'jobs'; jobIds: string[] };
  runs: TrendRun[];
  points: TrendPoint[];
}
