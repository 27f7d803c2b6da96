/**
 * The key of a cell in its job's matrix, in one place: the columns of the unique index `executions_cell_key` (on rows
 * that were planned, not imported), and the same key as a string for grouping in code. Anything that groups or
 * compares cells uses these, so cells of different variants are never taken for one cell.
 */

/** The columns of `executions_cell_key`, in index order, for SQL (`ON CONFLICT (…)`, `GROUP BY …`). */
export const CELL_KEY_COLUMNS = ['job_id', 'question_id', 'model_id', 'region', 'variant', 'replicate'] as const;

/** {@link CELL_KEY_COLUMNS} as a SQL column list, each prefixed by `alias.` when one is given. */
export function cellKeySql(alias?: string): string {
  return CELL_KEY_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
}

/** A cell's key within its job. `variant` is `''` for the default variant. */
export interface CellKey {
  questionId: string;
  modelId: string;
  region: string;
  variant: string;
  replicate: number;
}

/** A cell's key as one string (JSON of its parts), for maps and sets. */
export function cellKeyString(c: CellKey): string {
  return JSON.stringify([c.questionId, c.modelId, c.region, c.variant, c.replicate]);
}

/**
 * The key of a cell's column across regions: the cells of one question, model, variant and replicate in every
 * region are compared with each other, never with another variant's.
 */
export function crossRegionKeyString(c: Omit<CellKey, 'region'>): string {
  return JSON.stringify([c.questionId, c.modelId, c.variant, c.replicate]);
}
