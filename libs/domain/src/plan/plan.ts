import { variantIdsOf } from '../variant/cell-prompt.js';
import type { NormalisedJobSpec } from '../job-spec/job-spec.types.js';

/** The axes of a job's matrix, for one set-based INSERT (generate_series over the flattened matrix). */
export interface PlanAxes {
  questionIds: string[];
  modelIds: string[];
  /** Canonical region ids. */
  regions: string[];
  /** Variant ids in matrix order; `['']` for a job without languages or prompt variants. */
  variants: string[];
  repeats: number;
}

/** The axes of the matrix for a set-based INSERT (generate_series over the flattened matrix). */
export function planAxes(spec: NormalisedJobSpec): PlanAxes {
  return {
    questionIds: spec.questions.map((question) => question.id),
    modelIds: spec.models.map((model) => model.id),
    regions: spec.regions.map((region) => region.id),
    variants: variantIdsOf(spec),
    repeats: spec.repeats,
  };
}
