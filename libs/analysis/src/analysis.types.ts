/** The shapes of a job's cross-region analysis (`GET /api/v1/jobs/:id/analysis`, `beacon report --format json`). */

/** The classifier's labels of a response. */
export type ResponseLabel = 'answered' | 'refused' | 'partial' | 'empty' | 'filtered';

/** Every response label, in display order. */
export const RESPONSE_LABELS: readonly ResponseLabel[] = ['answered', 'partial', 'refused', 'empty', 'filtered'];

/** A rate with its 95 % Wilson score interval; all three are null when there is nothing to count. */
export interface Rate {
  count: number;
  of: number;
  rate: number | null;
  low: number | null;
  high: number | null;
}

/** Responses of one group of cells, counted by label, plus cells that gave none. */
export interface LabelCounts {
  /** Succeeded cells with a label. */
  responses: number;
  answered: number;
  partial: number;
  refused: number;
  empty: number;
  filtered: number;
  /** Cells that failed, were cancelled, are unfinished, or succeeded without a label. */
  noResponse: number;
}

/** One response as the analysis keeps it. */
export interface AnswerSample {
  executionId: string;
  replicate: number;
  label: ResponseLabel;
  text: string;
  /** Present when the stored response was longer than the analysis reads (`maxTextChars`): `text` is its start. */
  truncated?: true;
}

/** One region of a (question, model) pair. */
export interface RegionPattern {
  region: string;
  counts: LabelCounts;
  /** refused / responses, with its interval. */
  refusal: Rate;
  /** The most frequent label (a refusal wins a tie), or null without responses. */
  majority: ResponseLabel | null;
  /** The responses in replicate order: every one, or the first `method.sampleReplicates` when there are more. */
  answers: AnswerSample[];
  /** Responses left out of `answers` (present only when some were). */
  answersOmitted?: number;
}

/** Two regions of a pair compared. */
export interface RegionPairDistance {
  a: string;
  b: string;
  /** Mean answer distance over every (response of a, response of b). */
  distance: number;
  /** Share of those response pairs with the same label. */
  labelAgreement: number;
  /** Mean text similarity over those response pairs. */
  textSimilarity: number;
}

/** A percentile-bootstrap interval. */
export interface Band {
  low: number;
  high: number;
}

/**
 * The cross-region comparison of one question on one model in one variant: the regions' answers in the same language
 * under the same prompt variant are compared, never answers of two variants.
 */
export interface PairAnalysis {
  questionId: string;
  /** The variant compared (`lang=…;prompt=…`); left out for the default variant. */
  variant?: string;
  questionText: string | null;
  category: string | null;
  isControl: boolean;
  modelId: string;
  regions: RegionPattern[];
  /** One line: "refused in asia-pacific; answered in eu-west, us-east". */
  pattern: string;
  /** Highest minus lowest refusal rate between regions with responses (0 when fewer than two). */
  refusalSpread: number;
  /** Mean between-region answer distance in [0, 1]; null when fewer than two regions have a response. */
  divergence: number | null;
  /** 95 % bootstrap band over replicates; null without replicates. */
  band: Band | null;
  /** Mean distance between replicates of the same region; null without replicates. */
  withinRegion: number | null;
  /** Share of between-region response pairs with the same label. */
  labelAgreement: number | null;
  /** Mean between-region text similarity (character 3-gram cosine). */
  textSimilarity: number | null;
  regionPairs: RegionPairDistance[];
  /** The noise floor this pair is judged against (its model's control questions), or null. */
  noiseFloor: number | null;
  /** True when the divergence (its band's low end, with replicates) is above the noise floor; null without a floor. */
  exceedsNoise: boolean | null;
  /** How this pair was sampled, or null when every pair of responses was compared. */
  sampling: PairSampling | null;
}

/** A pair with more replicates than the analysis compares pairwise: what was exact and what was sampled. */
export interface PairSampling {
  /** The sample size per region of the band's bootstrap. */
  replicatesPerRegion: number;
  /** Responses of the pair. */
  responses: number;
  /** Responses in the bootstrap's sample. */
  sampled: number;
  note: string;
}

/** Refusals of one (region, model) or (category, region, model) group. */
export interface RefusalCell {
  region: string;
  modelId: string;
  category?: string;
  /** In `refusalByVariant`: the variant counted (`''` the default). */
  variant?: string;
  counts: LabelCounts;
  refusal: Rate;
  /** refused + partial over responses. */
  refusalOrPartial: Rate;
}

/** What the control questions say about how much answers vary by themselves. */
export interface NoiseFloor {
  /** Question ids of category `control` in the job. */
  controlQuestions: string[];
  /** Highest control divergence (band high with replicates), over every model; null without control pairs. */
  overall: number | null;
  /** The same per model. */
  byModel: Record<string, number | null>;
}

/** A data-quality note: from the cells themselves or an open reconciler finding. */
export interface DataQualityNote {
  source: 'cells' | 'reconciler';
  severity: 'info' | 'warning' | 'critical';
  /** The reconciler rule, or a cell check: `missing_cells`, `failed_cells`, `unfinished_cells`, `unlabelled_cells`, `duplicate_cells`. */
  ruleId: string;
  message: string;
  /** Execution ids (at most 20) or other evidence. */
  evidence: Record<string, unknown>;
}

/** How the numbers were computed, so a reader can check them. */
export interface AnalysisMethod {
  similarity: string;
  distance: string;
  divergence: string;
  band: string;
  noiseFloor: string;
  bootstrapResamples: number;
  bootstrapSeed: number;
  /** When and how sampling was used. */
  sampling: string;
  /** Responses per region up to which pairs are compared pairwise (and answers listed). */
  sampleReplicates: number;
  /** Longest response text read, in characters (longer ones are cut and marked `truncated`); null without a cap. */
  maxTextChars: number | null;
}

/**
 * Results of one (region, model) column served by one provider kind from one region, with what the provider reported
 * about where the calls ran: the answer to "where did it run?" for every succeeded cell. `servedRegion` differs from
 * `region` only when a fallback served the cell; nulls are calls recorded before Beacon stored these.
 */
export interface ServedByRow {
  region: string;
  modelId: string;
  providerKind: string | null;
  servedRegion: string | null;
  regionObserved: string | null;
  /** Succeeded cells counted in this row. */
  cells: number;
}

/** The cross-region analysis of one job. */
export interface JobAnalysis {
  jobId: string;
  status: string;
  benchmark: string;
  generatedAt: string;
  questions: { id: string; text: string | null; category: string | null }[];
  models: string[];
  regions: string[];
  /** The job's variants in matrix order; left out for a job without languages or prompt variants. */
  variants?: string[];
  repeats: number;
  summary: {
    cellsExpected: number;
    cells: number;
    responses: number;
    noResponse: number;
    refusal: Rate;
    /** Pairs with a divergence. */
    pairsCompared: number;
    /** Non-control pairs whose divergence exceeds the noise floor. */
    pairsAboveNoise: number;
    /** Sentences for the top of a report. */
    highlights: string[];
  };
  /** Region × model over every question, regions outer, in spec order. */
  refusalMatrix: RefusalCell[];
  /** Category × region × model. */
  refusalByCategory: RefusalCell[];
  /** Variant × region × model, variants outer in matrix order; present when the job has variants. */
  refusalByVariant?: RefusalCell[];
  /** Over every variant's control pairs. */
  noiseFloor: NoiseFloor;
  /** Each variant's own floor, which its pairs are judged against; present when the job has variants. */
  noiseFloorByVariant?: Record<string, NoiseFloor>;
  /** Every (question, model) pair, most divergent first (control pairs included, pairs without a divergence last). */
  pairs: PairAnalysis[];
  dataQuality: DataQualityNote[];
  /** Where each column's results were served (see {@link ServedByRow}), regions and models in spec order. */
  servedBy: ServedByRow[];
  method: AnalysisMethod;
}
