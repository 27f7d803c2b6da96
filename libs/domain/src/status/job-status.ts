/** Every status a job can have, in lifecycle order. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'partially_completed', 'failed', 'cancelled'] as const;

/** The status of a job as a whole. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Every state one execution (one cell of the matrix) can be in. */
export const EXECUTION_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** The state of one execution. */
export type ExecutionState = (typeof EXECUTION_STATES)[number];

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
