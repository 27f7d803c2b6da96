import { describe, expect, it } from '@jest/globals';
import type { TimelineAttemptView, TimelineLaneView } from '@beacon/domain';
import fc from 'fast-check';
import { attemptLine, laneLabel, laneStatus, naturalPairs, shortAge } from './lane-text.js';

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

describe('lanes of a job with variants', () => {
  const lane = (id: string, region: string, variant?: string): TimelineLaneView => ({
    executionId: id,
    questionId: 'q1',
    modelId: 'm',
    region,
    ...(variant ? { variant } : {}),
    replicate: 0,
    state: 'succeeded',
    classification: 'answered',
    cellKey: `q1|m|${region}${variant ? `|${variant}` : ''}|0`,
    duplicateOf: [],
    marks: [],
    attempts: [],
  });

  it('names the variant in the label, and compares a lane across regions with the same variant only', () => {
    const lanes = [lane('1', 'us-east'), lane('2', 'eu-west'), lane('3', 'us-east', 'lang=zh-Hans'), lane('4', 'eu-west', 'lang=zh-Hans')];
    expect(laneLabel(lanes[2]!)).toBe('e3 us-east m q1 [lang=zh-Hans]');
    expect(laneLabel(lanes[0]!)).toBe('e1 us-east m q1');
    expect(naturalPairs(lanes[2]!, lanes).map((p) => [p.a, p.b])).toEqual([['e:3', 'e:4']]);
    expect(naturalPairs(lanes[0]!, lanes).map((p) => [p.a, p.b])).toEqual([['e:1', 'e:2']]);
  });
});

describe(laneStatus.name, () => {
  const base: TimelineLaneView = {
    executionId: '9',
    questionId: 'q1',
    modelId: 'm',
    region: 'us-east',
    replicate: 0,
    state: 'succeeded',
    classification: 'refused',
    cellKey: 'q1|m|us-east|0',
    duplicateOf: [],
    marks: [],
    attempts: [attempt()],
  };

  it("shows the classifier's label, else the state; a cell that never made a call is planned or never run", () => {
    expect(laneStatus(base, 0)).toBe('refused');
    expect(laneStatus({ ...base, classification: 'filtered' }, 0)).toBe('filtered');
    expect(laneStatus({ ...base, state: 'failed', classification: null }, 0)).toBe('failed');
    expect(laneStatus({ ...base, state: 'pending', classification: null, attempts: [] }, 0)).toBe('planned');
    expect(laneStatus({ ...base, state: 'cancelled', classification: null, attempts: [] }, 0)).toBe('never run');
    expect(laneStatus({ ...base, state: 'failed', classification: null, attempts: [] }, 0)).toBe('never run');
  });

  it('shows an attempt in flight with its age, counted from its start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * 86_400_000 }), (ageMs) => {
        const startedAt = '2025-09-30T15:15:05.112Z';
        const now = Date.parse(startedAt) + ageMs;
        const text = laneStatus({ ...base, state: 'running', classification: null, attempts: [attempt({ endedAt: null })] }, now);
        const s = Math.floor(ageMs / 1000);
        const want =
          s < 60
            ? `${s}s`
            : s < 3600
              ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
              : `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
        expect(text).toBe(`run ${want}`);
        expect(text.length).toBeLessThanOrEqual(10 + (s >= 360_000 ? 1 : 0));
      }),
    );
    expect(shortAge(-5)).toBe('0s');
  });
});
