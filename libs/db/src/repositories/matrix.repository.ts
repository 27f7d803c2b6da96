import type { DataSource } from 'typeorm';
import { queryRows } from './query.js';
import { CELL_SQL } from './status-sql.js';

/** The labels a response can carry, in the order a tie between them is broken (a refusal wins). */
export const MATRIX_LABELS = ['refused', 'partial', 'filtered', 'empty', 'answered'] as const;
export type MatrixLabel = (typeof MATRIX_LABELS)[number];

/** One (question, model, region) group of cells: its replicates counted by state and by response label. */
export interface MatrixGroup {
  questionId: string;
  modelId: string;
  region: string;
  /** Every replicate of the group. */
  cells: number;
  /** Succeeded replicates with a known label. */
  responses: number;
  labels: Record<MatrixLabel, number>;
  pending: number;
  running: number;
  failed: number;
  cancelled: number;
  /** The lowest execution id of the group: where a click on the matrix cell leads. */
  firstExecutionId: string;
}

/** A row of the grouping query below. */
interface MatrixGroupRow {
  question_id: string;
  model_id: string;
  region: string;
  cells: number;
  refused: number;
  partial: number;
  filtered: number;
  empty: number;
  answered: number;
  pending: number;
  running: number;
  failed: number;
  cancelled: number;
  first_id: string;
}

const LABEL_COUNTS = MATRIX_LABELS.map(
  (l) => `count(*) FILTER (WHERE state = ${CELL_SQL.succeeded} AND classification = '${l}')::int AS ${l}`,
).join(',\n         ');

/**
 * The job's matrix aggregated in the database, a page of questions at a time, so a browser showing a job of 100,000
 * cells reads a few hundred groups per screen instead of every cell.
 */
export class MatrixRepository {
  constructor(private readonly ds: DataSource) {}

  /** The groups of `questionIds` in job `jobId` (groups without any cell are absent). */
  async groups(jobId: string, questionIds: readonly string[]): Promise<MatrixGroup[]> {
    if (questionIds.length === 0) return [];
    const rows = await queryRows<MatrixGroupRow>(
      this.ds,
      `SELECT question_id, model_id, region, count(*)::int AS cells,
         ${LABEL_COUNTS},
         count(*) FILTER (WHERE state = ${CELL_SQL.pending})::int AS pending,
         count(*) FILTER (WHERE state = ${CELL_SQL.running})::int AS running,
         count(*) FILTER (WHERE state = ${CELL_SQL.failed})::int AS failed,
         count(*) FILTER (WHERE state = ${CELL_SQL.cancelled})::int AS cancelled,
         min(id)::text AS first_id
         FROM executions
        WHERE job_id = $1 AND question_id = ANY($2::text[])
        GROUP BY question_id, model_id, region`,
      [jobId, questionIds],
    );
    return rows.map(matrixGroup);
  }
}

function matrixGroup(r: MatrixGroupRow): MatrixGroup {
  const labels = { refused: r.refused, partial: r.partial, filtered: r.filtered, empty: r.empty, answered: r.answered };
  return {
    questionId: r.question_id,
    modelId: r.model_id,
    region: r.region,
    cells: r.cells,
    responses: MATRIX_LABELS.reduce((n, l) => n + labels[l], 0),
    labels,
    pending: r.pending,
    running: r.running,
    failed: r.failed,
    cancelled: r.cancelled,
    firstExecutionId: r.first_id,
  };
}

/** The most frequent label of a group; ties go to the first of {@link MATRIX_LABELS}; null without responses. */
export function majorityOf(labels: Record<MatrixLabel, number>): MatrixLabel | null {
  let best: MatrixLabel | null = null;
  for (const l of MATRIX_LABELS) if (labels[l] > 0 && (best === null || labels[l] > labels[best])) best = l;
  return best;
}
