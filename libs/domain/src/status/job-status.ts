/**
 * The one vocabulary of job statuses, cell (execution) states and attempt outcomes. The database's CHECK constraints
 * hold the same lists (a test compares them); SQL, the API views, the CLI and the TUI all take their words and their
 * "active" and "terminal" sets from here.
 */

/** Every status a job can have, in lifecycle order. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'partially_completed', 'failed', 'cancelled', 'budget_exhausted'] as const;

/** The status of a job as a whole. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Job statuses that still change: the status roll-up and cancellation act only on these. */
export const ACTIVE_JOB_STATUSES = ['queued', 'running'] as const satisfies readonly JobStatus[];

/** Job statuses that are final. */
export const TERMINAL_JOB_STATUSES = [
  'completed',
  'partially_completed',
  'failed',
  'cancelled',
  /** The spec's `max_cost` stopped the job: its unclaimed cells were cancelled with the reason `budget_exhausted`. */
  'budget_exhausted',
] as const satisfies readonly JobStatus[];

/** A job status that still changes. */
export type ActiveJobStatus = (typeof ACTIVE_JOB_STATUSES)[number];

/** A final job status. */
export type TerminalJobStatus = (typeof TERMINAL_JOB_STATUSES)[number];

/** Every state one execution (one cell of the matrix) can be in. */
export const EXECUTION_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** The state of one execution. */
export type ExecutionState = (typeof EXECUTION_STATES)[number];

/** Cell states that still change: waiting in the queue, or leased to a runner. */
export const ACTIVE_EXECUTION_STATES = ['pending', 'running'] as const satisfies readonly ExecutionState[];

/** Cell states after which a cell does not change any more (its `finished_at` is set exactly then). */
export const TERMINAL_EXECUTION_STATES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly ExecutionState[];

/** A cell state that still changes. */
export type ActiveExecutionState = (typeof ACTIVE_EXECUTION_STATES)[number];

/** A final cell state. */
export type TerminalExecutionState = (typeof TERMINAL_EXECUTION_STATES)[number];

/** How one attempt at an execution ended. */
export const ATTEMPT_OUTCOMES = [
  'succeeded',
  'retryable_error',
  'final_error',
  'lease_expired',
  'cancelled',
  'fenced',
  'released',
  'deferred',
] as const;

/** The outcome recorded on one execution attempt. */
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * What a cancel request answers as `status`: the job's status, or `cancelling` while calls of a cancelled job are still
 * being stopped. `cancelling` is a word of that answer only, never a stored status: such a job is `running` with its
 * cancel requested (`cancelRequestedAt` set) until its last running cell stops, and then `cancelled`.
 */
export type CancelAnswerStatus = JobStatus | 'cancelling';

/** True for a job status that still changes (queued, running). */
export function isActiveJobStatus(status: string | null | undefined): status is ActiveJobStatus {
  return (ACTIVE_JOB_STATUSES as readonly string[]).includes(status ?? '');
}

/** True for a final job status. */
export function isTerminalJobStatus(status: string | null | undefined): status is TerminalJobStatus {
  return (TERMINAL_JOB_STATUSES as readonly string[]).includes(status ?? '');
}

/** True for a cell state that still changes (pending, running). */
export function isActiveExecutionState(state: string | null | undefined): state is ActiveExecutionState {
  return (ACTIVE_EXECUTION_STATES as readonly string[]).includes(state ?? '');
}

/** How many of a job's cells are in a final state, from its counts by state. */
export function finishedCells(byState: Readonly<Partial<Record<string, number>>>): number {
  return TERMINAL_EXECUTION_STATES.reduce((n, s) => n + (byState[s] ?? 0), 0);
}

/** True for a final cell state. */
export function isTerminalExecutionState(state: string | null | undefined): state is TerminalExecutionState {
  return (TERMINAL_EXECUTION_STATES as readonly string[]).includes(state ?? '');
}

/** True for a word of the job-status vocabulary. */
export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

/** True for a word of the cell-state vocabulary. */
export function isExecutionState(value: unknown): value is ExecutionState {
  return typeof value === 'string' && (EXECUTION_STATES as readonly string[]).includes(value);
}

/** True for a word of the attempt-outcome vocabulary. */
export function isAttemptOutcome(value: unknown): value is AttemptOutcome {
  return typeof value === 'string' && (ATTEMPT_OUTCOMES as readonly string[]).includes(value);
}

/**
 * The `status` a cancel request answers: a job already finished keeps its status; an active one is `cancelled` at once
 * when none of its cells is running, else `cancelling` (its running calls stop at their runner's next heartbeat).
 */
export function cancelAnswerStatus(previous: JobStatus, runningCells: number): CancelAnswerStatus {
  if (!isActiveJobStatus(previous)) return previous;
  return runningCells > 0 ? 'cancelling' : 'cancelled';
}
