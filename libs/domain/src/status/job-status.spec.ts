import { describe, expect, it } from '@jest/globals';
import {
  cancelAnswerStatus,
  finishedCells,
  isActiveExecutionState,
  isActiveJobStatus,
  isJobStatus,
  isTerminalExecutionState,
  isTerminalJobStatus,
  JOB_STATUSES,
} from './job-status.js';

describe('status vocabulary', () => {
  it('splits every job status into active or terminal, never both', () => {
    for (const s of JOB_STATUSES) expect(isActiveJobStatus(s)).toBe(!isTerminalJobStatus(s));
    expect(isActiveJobStatus('cancelling')).toBe(false);
    expect(isJobStatus('cancelling')).toBe(false);
    expect(isActiveJobStatus(null)).toBe(false);
  });

  it('counts finished cells from counts by state', () => {
    expect(finishedCells({ pending: 3, running: 2, succeeded: 4, failed: 1, cancelled: 5 })).toBe(10);
    expect(finishedCells({})).toBe(0);
    expect(isTerminalExecutionState('running')).toBe(false);
    expect(isActiveExecutionState('pending')).toBe(true);
  });

  it("answers a cancel with the finished job's status, else cancelled or cancelling", () => {
    expect(cancelAnswerStatus('completed', 0)).toBe('completed');
    expect(cancelAnswerStatus('failed', 3)).toBe('failed');
    expect(cancelAnswerStatus('running', 0)).toBe('cancelled');
    expect(cancelAnswerStatus('queued', 0)).toBe('cancelled');
    expect(cancelAnswerStatus('running', 2)).toBe('cancelling');
  });
});
