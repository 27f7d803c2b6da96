/** The bounded summary of a job's results (`GET /api/v1/jobs/:id/summary`): the viewer's job page and the TUI's suspects. */

/** A count out of a total with its 95 % Wilson interval (null rate and bounds when the total is 0). */
export interface RateView {
  count: number;
  of: number;
  rate: number | null;
  low: number | null;
  high: number | null;
}

/**
 * One (question, model, variant) pair judged by its labels alone: how often two responses from two different regions
 * carry different labels (the complement of the analysis' `labelAgreement`), against the same measure on the control
 * questions (the pair's noise floor).
 */
export interface LabelDivergence {
  questionId: string;
  modelId: string;
  variant: string;
  isControl: boolean;
  /** Regions with at least one labelled response. */
  regions: number;
  /** Labelled responses of the pair, across its regions. */
  responses: number;
  /** Of those, the ones labelled `refused` (the second sort key: among equally divergent pairs, the most refused first). */
  refused: number;
  /** Pairs of responses from two different regions. */
  pairs: number;
  /** Of those pairs, the ones whose two labels are the same. */
  agreeing: number;
  /** `1 − agreeing / pairs`; null when fewer than two regions answered. */
  disagreement: number | null;
  /** Highest disagreement among the control questions of the same model and variant (of the variant when the model has none). */
  noiseFloor: number | null;
  /** Disagreement above the noise floor; null without either. */
  aboveNoise: boolean | null;
}

/** A page of pairs, most divergent first, with their number and the floors they were judged against. */
export interface LabelDivergencePage {
  total: number;
  /** Pairs with a disagreement (at least two regions answered). */
  compared: number;
  /** Non-control pairs above their noise floor. */
  aboveNoise: number;
  items: LabelDivergence[];
  /** Noise floor over every control pair, and per model (every variant). */
  noiseFloor: { overall: number | null; byModel: Record<string, number | null> };
}

/** The first view of a job's results: small, whatever the size of the job. */
export interface JobResultsSummaryView {
  jobId: string;
  status: string;
  /** Per (model, region), models outer in spec order (then any not in the spec). */
  refusals: { modelId: string; region: string; cells: number; responses: number; refusal: RateView; refusalOrPartial: RateView }[];
  /** Label divergence per (question, model, variant), most divergent first, then most refused, a page at a time. */
  divergence: LabelDivergencePage & { offset: number; limit: number };
  findings: { open: number; bySeverity: Record<string, number> };
}
