import type { JobStatus } from './job-status.js';

/** Input of {@link rollupJobStatus}. */
export interface JobRollupInput {
  /** The job was cancelled by a user. */
  cancelled: boolean;
  /** Cells by execution state: pending, running, succeeded, failed, cancelled; missing states count 0. */
  counts: Record<string, number>;
  /** Regions with at least one succeeded cell. */
  succeededRegions: number;
  minRegions: number;
  minSuccessRate: number;
  /** At least one cell has been claimed. */
  started: boolean;
  /**
   * The spec's `max_cost` stopped the job (`jobs.budget_exhausted_at`): its unclaimed cells are cancelled and it ends
   * `budget_exhausted` once its calls in flight are recorded. Absent means false.
   */
  budgetExhausted?: boolean;
}

/**
 * Job status from its cells: queued (nothing claimed yet) → running → completed | partially_completed | failed,
 * cancelled, or budget_exhausted (the spec's `max_cost` stopped it). A cancelled job stays 'running' until its running cells stop. The success rate is
 * succeeded / (succeeded + failed); cancelled cells do not count either way.
 */
export function rollupJobStatus(input: JobRollupInput): JobStatus {
  const count = (state: string): number => Math.max(0, input.counts[state] ?? 0);
  const pending = count('pending');
  const running = count('running');
  const succeeded = count('succeeded');
  const failed = count('failed');

  // A cell can still be pending for a moment (a retry scheduled by a call in flight when the job was cancelled or ran
  // out of budget); the close statement cancels it at the next roll-up, and the job ends only when no cell of it is
  // pending or running (a terminal job with a pending cell would hold it forever: the claim skips cancelled jobs).
  if (input.cancelled) return running > 0 || pending > 0 ? 'running' : 'cancelled';
  if (input.budgetExhausted) return running > 0 || pending > 0 ? 'running' : 'budget_exhausted';
  if (pending > 0 || running > 0) return input.started || running > 0 ? 'running' : 'queued';

  const decided = succeeded + failed;
  const rate = decided === 0 ? 0 : succeeded / decided;
  const enough = succeeded > 0 && rate >= input.minSuccessRate && input.succeededRegions >= input.minRegions;
  if (!enough) return 'failed';
  return failed === 0 ? 'completed' : 'partially_completed';
}
