import { describe, expect, it } from '@jest/globals';
import { type JobRollupInput, rollupJobStatus } from './job-rollup.js';

const base: JobRollupInput = {
  cancelled: false,
  counts: {},
  succeededRegions: 3,
  minRegions: 2,
  minSuccessRate: 0.8,
  started: true,
};
const roll = (patch: Partial<JobRollupInput>) => rollupJobStatus({ ...base, ...patch });

describe(rollupJobStatus.name, () => {
  it('is queued while nothing has been claimed', () => {
    expect(roll({ started: false, counts: { pending: 12 } })).toBe('queued');
  });

  it('is running while cells are pending or running once started', () => {
    expect(roll({ counts: { pending: 3, succeeded: 9 } })).toBe('running');
    expect(roll({ counts: { running: 1, succeeded: 11 } })).toBe('running');
    expect(roll({ started: false, counts: { running: 1, pending: 11 } })).toBe('running');
  });

  it('stays running after a cancel until running cells stop, then is cancelled', () => {
    expect(roll({ cancelled: true, counts: { running: 2, cancelled: 10 } })).toBe('running');
    expect(roll({ cancelled: true, counts: { succeeded: 2, cancelled: 10 } })).toBe('cancelled');
    // A pending cell of a cancelled job (a retry scheduled by a call in flight then) is closed by the roll-up first.
    expect(roll({ cancelled: true, started: false, counts: { pending: 12 } })).toBe('running');
    expect(roll({ cancelled: true, started: false, counts: { cancelled: 12 } })).toBe('cancelled');
  });

  it('is completed when every decided cell succeeded across enough regions', () => {
    expect(roll({ counts: { succeeded: 12 } })).toBe('completed');
  });

  it('ignores cancelled cells in the success rate', () => {
    expect(roll({ counts: { succeeded: 4, cancelled: 8 } })).toBe('completed');
  });

  it('is partially_completed when some failed but the thresholds hold', () => {
    expect(roll({ counts: { succeeded: 8, failed: 2 } })).toBe('partially_completed');
  });

  it('is failed when the success rate is below the minimum', () => {
    expect(roll({ counts: { succeeded: 7, failed: 3 } })).toBe('failed');
  });

  it('is failed when too few regions succeeded', () => {
    expect(roll({ counts: { succeeded: 12 }, succeededRegions: 1 })).toBe('failed');
  });

  it('is failed with zero successes, even with a zero threshold', () => {
    expect(roll({ counts: { failed: 12 }, succeededRegions: 0, minSuccessRate: 0, minRegions: 0 })).toBe('failed');
    expect(roll({ counts: { cancelled: 12 }, succeededRegions: 0, minSuccessRate: 0, minRegions: 0 })).toBe('failed');
    expect(roll({ counts: {}, succeededRegions: 0, minSuccessRate: 0, minRegions: 0 })).toBe('failed');
  });
});

describe('rollupJobStatus with a spent budget (issue 15.4)', () => {
  const job = { cancelled: false, succeededRegions: 2, minRegions: 1, minSuccessRate: 0.5, started: true };
  it('defect 15.4: a job stopped by its max_cost ends budget_exhausted once its calls in flight are recorded', () => {
    expect(rollupJobStatus({ ...job, budgetExhausted: true, counts: { succeeded: 5, cancelled: 7 } })).toBe('budget_exhausted');
    expect(rollupJobStatus({ ...job, budgetExhausted: true, counts: { succeeded: 5, running: 1, cancelled: 6 } })).toBe('running');
    expect(rollupJobStatus({ ...job, budgetExhausted: true, counts: { succeeded: 5, pending: 1, cancelled: 6 } })).toBe('running');
    expect(rollupJobStatus({ ...job, budgetExhausted: false, counts: { succeeded: 5 } })).toBe('completed');
    // A user's cancel wins over the budget.
    expect(rollupJobStatus({ ...job, cancelled: true, budgetExhausted: true, counts: { succeeded: 5, cancelled: 7 } })).toBe('cancelled');
  });
});
