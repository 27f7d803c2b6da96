import { describe, expect, it } from '@jest/globals';
import type { FindingView } from '@beacon/domain';
import { bySeverity, evidenceTarget, timelineTarget } from './findings-screen.js';

const finding = (over: Partial<FindingView> = {}): FindingView => ({
  id: 'f1',
  ruleId: 'region_skew',
  severity: 'warning',
  fingerprint: 'x',
  jobId: null,
  summary: 'eu-west refuses more than us-east',
  evidence: {},
  firstSeenAt: '2026-01-01T00:00:00Z',
  lastSeenAt: '2026-01-01T00:00:00Z',
  resolvedAt: null,
  occurrences: 1,
  ...over,
});

describe(evidenceTarget.name, () => {
  it('regression: enter on a finding without a job or two executions says why in the status line', () => {
    const none = evidenceTarget(finding());
    expect(none).toEqual({ type: 'status', text: expect.stringMatching(/f1 \(region_skew\) has no job and no executions as evidence/) });
    const one = evidenceTarget(finding({ evidence: { executionIds: [7] } }));
    expect(one).toMatchObject({ type: 'status', text: expect.stringContaining('one execution as evidence (e:7)') });
  });

  it('regression: t on a finding without a job says it has no timeline', () => {
    expect(timelineTarget(finding())).toEqual({ type: 'status', text: 'finding f1 (region_skew) belongs to no job: it has no timeline' });
    expect(timelineTarget(finding({ jobId: 'j1' }))).toEqual({ type: 'open/timeline', jobId: 'j1' });
  });

  it('opens the diff of the first two executions, else the timeline', () => {
    expect(evidenceTarget(finding({ jobId: 'j1', evidence: { executionIds: [1, 2] } }))).toMatchObject({
      type: 'open/diff',
      refs: { a: 'e:1', b: 'e:2' },
    });
    expect(evidenceTarget(finding({ jobId: 'j1' }))).toEqual({ type: 'open/timeline', jobId: 'j1' });
  });
});

describe(bySeverity.name, () => {
  it('puts critical first, then warning, then info, keeping the order within a severity', () => {
    const list = [
      finding({ id: 'i1', severity: 'info' }),
      finding({ id: 'w1' }),
      finding({ id: 'c1', severity: 'critical' }),
      finding({ id: 'w2' }),
      finding({ id: 'c2', severity: 'critical' }),
    ];
    expect(bySeverity(list).map((f) => f.id)).toEqual(['c1', 'c2', 'w1', 'w2', 'i1']);
  });
});
