/**
 * The schedule vocabulary. The database's CHECK constraints hold the same lists (a test compares them), as for job
 * statuses.
 */

/** What became of one tick of a schedule. */
export const SCHEDULE_TICK_OUTCOMES = [
  /** A job was created for the tick. */
  'fired',
  /** The previous run was still going and the overlap policy is `skip`: no job. */
  'skipped_overlap',
  /** The previous run was still going and the overlap policy is `queue`: a job was created and waits behind it. */
  'queued',
  /** Due while no daemon could fire it, and beyond the catch-up policy: no job (one row summarises a run of them). */
  'missed',
] as const;

/** One of {@link SCHEDULE_TICK_OUTCOMES}. */
export type ScheduleTickOutcome = (typeof SCHEDULE_TICK_OUTCOMES)[number];

/** What a tick does while the schedule's latest job has not finished. */
export const OVERLAP_POLICIES = ['skip', 'queue'] as const;

/** One of {@link OVERLAP_POLICIES}. */
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/**
 * Schedule names: the job-id characters, at most 100 long, so that a run's job id `<name>-<run>` stays a valid job
 * id (at most 128 characters).
 */
export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

/** The default catch-up policy: one missed tick fired when a daemon comes back. */
export const DEFAULT_CATCH_UP = 1;
/** The most missed ticks a schedule may ask to fire on return. */
export const MAX_CATCH_UP = 100;

/** The job id of a schedule's run. */
export function scheduleRunJobId(name: string, run: number): string {
  return `${name}-${run}`;
}

/** True for a tick outcome. */
export function isScheduleTickOutcome(v: unknown): v is ScheduleTickOutcome {
  return typeof v === 'string' && (SCHEDULE_TICK_OUTCOMES as readonly string[]).includes(v);
}

/** True for an overlap policy. */
export function isOverlapPolicy(v: unknown): v is OverlapPolicy {
  return typeof v === 'string' && (OVERLAP_POLICIES as readonly string[]).includes(v);
}
