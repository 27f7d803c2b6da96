import { describe, expect, it } from '@jest/globals';
import { jobStatusText } from './job-status-text.js';

describe(jobStatusText.name, () => {
  it('shows the stored status, and a cancel requested on a job still active beside it', () => {
    expect(jobStatusText({ status: 'running', cancelRequestedAt: null })).toBe('running');
    expect(jobStatusText({ status: 'running', cancelRequestedAt: '2026-01-01T00:00:00.000Z' })).toBe('running, cancel requested');
    expect(jobStatusText({ status: 'running', cancelRequestedAt: '2026-01-01T00:00:00.000Z' }, true)).toBe('running ✕');
  });

  it('leaves a finished job as it ended, even when a cancel came after', () => {
    expect(jobStatusText({ status: 'completed', cancelRequestedAt: '2026-01-01T00:00:00.000Z' })).toBe('completed');
    expect(jobStatusText({ status: 'cancelled', cancelRequestedAt: '2026-01-01T00:00:00.000Z' })).toBe('cancelled');
  });
});
