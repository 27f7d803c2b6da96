import type { NormalisedJobSpec } from '../job-spec/job-spec.types.js';

/** The axes of a job's matrix, for one set-based INSERT (unnest x unnest x unnest x generate_series). */
export interface PlanAxes {
  questionIds: string[];
  modelIds: string[];
  /** Canonical region ids. */
  regions: string[];
  repeats: number;
}

/** The axes of the matrix for a set-based INSERT (unnest x unnest x unnest x generate_series). */
export function planAxes(spec: NormalisedJobSpec): PlanAxes {
  return {
    questionIds: spec.questions.map((question) => question.id),
    modelIds: spec.models.map((model) => model.id),
    regions: spec.regions.map((region) => region.id),
    repeats: spec.repeats,
  };
}
