import { describe, expect, it } from '@jest/globals';
import type { TimelineAttemptView } from '@beacon/domain';
import { attemptLine } from './lane-text.js';

const attempt = (over: Partial<TimelineAttemptView> = {}): TimelineAttemptView => ({
  id: '1',
  attempt: 1,
  runnerId: 'legacy',
  startedAt: '2025-09-30T15:15:05.112Z',
  endedAt: '2025-09-30T15:15:46.362Z',
  outcome: 'succeeded',
  httpStatus: null,
  error: null,
  latencyMs: null,
  inputTokens: null,
  outputTokens: null,
  traceId: 't',
  promptHash: 'h',
  ...over,
});

describe(attemptLine.name, () => {
  it('lists the attempt, with dashes for what an imported one does not know', () => {
    expect(attemptLine(attempt())).toBe('#1 · legacy · succeeded · HTTP — · latency — · tokens —/— · trace t');
  });

  it('defect 15.6: says by how much an attempt ends before it starts', () => {
    expect(attemptLine(attempt({ endedAt: '2025-09-30T15:15:02.000Z', error: 'x' }))).toBe(
      '#1 · legacy · succeeded · HTTP — · latency — · tokens —/— · trace t · ends 3.11 s before it starts · error: x',
    );
  });
});
