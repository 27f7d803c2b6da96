import {
  ACTIVE_EXECUTION_STATES,
  ACTIVE_JOB_STATUSES,
  ATTEMPT_OUTCOMES,
  DELIVERY_OUTCOMES,
  type AttemptOutcome,
  EXECUTION_STATES,
  type ExecutionState,
  isAttemptOutcome,
  isExecutionState,
  isJobStatus,
  JOB_STATUSES,
  type JobStatus,
  OUTBOX_STATES,
  TERMINAL_EXECUTION_STATES,
  TERMINAL_JOB_STATUSES,
} from '@beacon/domain';

/*
 * The domain's status vocabulary in SQL. The columns stay `text` with CHECK constraints (a test compares those with
 * the domain's lists) rather than Postgres enums: an enum value cannot be dropped or renamed, a new one cannot be
 * used in the transaction that adds it, and changing a column's type rewrites the largest table; text with CHECK
 * gives the same guarantee in the database. In TypeScript every word written into SQL goes through these helpers,
 * so a word outside the vocabulary does not compile, and the "active" and "terminal" sets are the domain's own.
 */

/** A word as an SQL string literal. */
function literal(word: string): string {
  return `'${word.replaceAll("'", "''")}'`;
}

/** Words as a parenthesised SQL list, for `IN` and `NOT IN`. */
function list(words: readonly string[]): string {
  return `(${words.map(literal).join(', ')})`;
}

/** Each word of a vocabulary as its SQL literal: `CELL_SQL.running` is `'running'`, and `CELL_SQL.runing` does not compile. */
function literals<W extends string>(words: readonly W[]): Readonly<Record<W, string>> {
  return Object.fromEntries(words.map((w) => [w, literal(w)])) as Record<W, string>;
}

/** Job statuses as SQL literals. */
export const JOB_SQL = literals(JOB_STATUSES);

/** Cell (execution) states as SQL literals. */
export const CELL_SQL = literals(EXECUTION_STATES);

/** Attempt outcomes as SQL literals. */
export const OUTCOME_SQL = literals(ATTEMPT_OUTCOMES);

/** `('queued', 'running')`: the job statuses that still change, for `status IN …`. */
export const ACTIVE_JOB_STATUSES_SQL = list(ACTIVE_JOB_STATUSES);

/** The final job statuses, for `status IN …`. */
export const TERMINAL_JOB_STATUSES_SQL = list(TERMINAL_JOB_STATUSES);

/** `('pending', 'running')`: the cell states that still change. */
export const ACTIVE_CELL_STATES_SQL = list(ACTIVE_EXECUTION_STATES);

/** The final cell states (`finished_at` is set exactly for these). */
export const TERMINAL_CELL_STATES_SQL = list(TERMINAL_EXECUTION_STATES);

/** A job status read from the database; anything else is a broken row, not a new status. */
export function parseJobStatus(value: unknown): JobStatus {
  if (isJobStatus(value)) return value;
  throw new Error(`not a job status: ${JSON.stringify(value)}`);
}

/** A cell state read from the database. */
export function parseCellState(value: unknown): ExecutionState {
  if (isExecutionState(value)) return value;
  throw new Error(`not a cell state: ${JSON.stringify(value)}`);
}

/** An attempt outcome read from the database (null while the call is in flight). */
export function parseOutcome(value: unknown): AttemptOutcome | null {
  if (value === null || value === undefined) return null;
  if (isAttemptOutcome(value)) return value;
  throw new Error(`not an attempt outcome: ${JSON.stringify(value)}`);
}

/** Notification outbox states as SQL literals (the domain's `OUTBOX_STATES`). */
export const OUTBOX_SQL = literals(OUTBOX_STATES);

/** Delivery-log outcomes as SQL literals (the domain's `DELIVERY_OUTCOMES`). */
export const DELIVERY_SQL = literals(DELIVERY_OUTCOMES);
