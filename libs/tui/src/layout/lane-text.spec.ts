import { describe, expect, it } from '@jest/globals';
import type { TimelineAttemptView, TimelineLaneView } from '@beacon/domain';
import { attemptLine, laneLabel, naturalPairs } from './lane-text.js';

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
