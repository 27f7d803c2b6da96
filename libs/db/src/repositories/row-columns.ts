/*
 * Column groups that several queries' rows share, as the driver returns them (bigint ids as text, integers as
 * numbers, timestamptz as Date). Each query still declares its own row interface, extending these.
 */

/** A cell's key in the matrix: job, question, model, region, variant, replicate (see `CELL_KEY_COLUMNS`). */
export interface CellKeyFields {
  job_id: string;
  question_id: string;
  model_id: string;
  region: string;
  /** `''` for the default variant. */
  variant: string;
  replicate: number;
}

/** The identity of a cell: an `executions` row's id and its key in the matrix. */
export interface CellKeyColumns extends CellKeyFields {
  id: string;
}

/** The columns of an `execution_attempts` row that every view of an attempt shows. */
export interface AttemptColumns {
  id: string;
  execution_id: string;
  attempt: number;
  runner_id: string;
  started_at: Date;
  ended_at: Date | null;
  outcome: string | null;
  http_status: number | null;
  error: unknown;
  latency_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
}

/** A cell's identity and key as the domain names them, from its columns. */
export function cellIdentity(r: CellKeyColumns): {
  id: string;
  jobId: string;
  questionId: string;
  modelId: string;
  region: string;
  variant: string;
  replicate: number;
} {
  return {
    id: r.id,
    jobId: r.job_id,
    questionId: r.question_id,
    modelId: r.model_id,
    region: r.region,
    variant: r.variant,
    replicate: r.replicate,
  };
}
