import { describe, expect, it } from '@jest/globals';
import type { TimelineAttemptView } from '../views/api-views.types.js';
import {
  type TimelineLaneRow,
  type TimelineSpecAxes,
  TIMELINE_MARKS,
  endsBeforeStartMs,
  errorLine,
  laneMarks,
  specAxes,
  timelineLane,
} from './timeline.builder.js';

const row = (over: Partial<TimelineLaneRow> = {}): TimelineLaneRow => ({
  executionId: '11',
  questionId: 'q1',
  modelId: 'gpt-x',
  region: 'eu',
  replicate: 0,
  state: 'succeeded',
  classification: 'answered',
  imported: false,
  legacyId: null,
  batchQuestion: false,
  supersededBy: null,
  duplicateOf: [],
  duplicatePromptHashes: [],
  duplicatesFirstStart: null,
  ...over,
});

let nextId = 1;
const attempt = (over: Partial<TimelineAttemptView> = {}): TimelineAttemptView => ({
  id: String(nextId++),
  attempt: 1,
  runnerId: 'r1',
  startedAt: '2025-01-01T00:00:00.000Z',
  endedAt: '2025-01-01T00:00:01.000Z',
  outcome: 'succeeded',
  httpStatus: 200,
  error: null,
  latencyMs: 1000,
  inputTokens: 10,
  outputTokens: 20,
  traceId: 't',
  promptHash: 'h1',
  ...over,
});

const spec: TimelineSpecAxes = { questions: ['q1', 'q2'], models: ['gpt-x'], regions: ['eu', 'us'], repeats: 2 };

describe(laneMarks.name, () => {
  it('marks nothing for a clean single-attempt lane inside the spec', () => {
    expect(laneMarks(row(), [attempt()], spec)).toEqual([]);
    expect(laneMarks(row(), [], spec)).toEqual([]);
  });

  it('marks retried only for more than one attempt', () => {
    expect(laneMarks(row(), [attempt(), attempt({ attempt: 2 })], spec)).toEqual(['retried']);
  });

  it('marks lease_expired when any attempt ended that way, not for other outcomes', () => {
    const lost = [attempt({ outcome: 'lease_expired' }), attempt({ attempt: 2 })];
    expect(laneMarks(row(), lost, spec)).toEqual(['lease_expired', 'retried']);
    expect(laneMarks(row(), [attempt({ outcome: 'final_error' })], spec)).toEqual([]);
  });

  it('marks duplicate when another execution has the same cell', () => {
    expect(laneMarks(row({ duplicateOf: ['12'], duplicatePromptHashes: ['h1'] }), [attempt()], spec)).toEqual(['duplicate']);
  });

  it('marks prompt_drift when the attempts, or the duplicates, differ in prompt hash', () => {
    expect(laneMarks(row(), [attempt(), attempt({ attempt: 2, promptHash: 'h2' })], spec)).toEqual(['prompt_drift', 'retried']);
    expect(laneMarks(row({ duplicateOf: ['12'], duplicatePromptHashes: ['h2'] }), [attempt()], spec)).toEqual([
      'duplicate',
      'prompt_drift',
    ]);
    expect(laneMarks(row(), [attempt(), attempt({ attempt: 2 })], spec)).not.toContain('prompt_drift');
  });

  it('marks out_of_spec for a model, region, question or replicate outside the spec', () => {
    for (const over of [{ modelId: 'other' }, { region: 'ap' }, { questionId: 'q9' }, { replicate: 2 }]) {
      expect(laneMarks(row(over), [attempt()], spec)).toEqual(['out_of_spec']);
    }
    expect(laneMarks(row({ replicate: 1 }), [attempt()], spec)).toEqual([]);
  });

  it('does not mark an imported batch row out of spec for its question, nor anything when there is no spec', () => {
    expect(laneMarks(row({ questionId: '(batch)', batchQuestion: true }), [attempt()], spec)).toEqual([]);
    expect(laneMarks(row({ questionId: '(batch)', batchQuestion: true, region: 'ap' }), [attempt()], spec)).toEqual(['out_of_spec']);
    expect(laneMarks(row({ modelId: 'other', replicate: 9 }), [attempt()], null)).toEqual([]);
  });

  it('lists every mark at once in display order', () => {
    const marks = laneMarks(
      row({ duplicateOf: ['12'], duplicatePromptHashes: ['h3'], modelId: 'other', supersededBy: '99', imported: true }),
      [attempt({ outcome: 'lease_expired', endedAt: '2024-12-31T23:59:59.000Z' }), attempt({ attempt: 2, promptHash: 'h2' })],
      spec,
    );
    expect(marks).toEqual([...TIMELINE_MARKS]);
  });

  it('defect 15.6: marks impossible_times when an attempt ends before it starts, not an instant or open one', () => {
    const backwards = attempt({ endedAt: '2024-12-31T23:59:57.000Z' });
    expect(laneMarks(row({ imported: true }), [backwards], spec)).toEqual(['impossible_times', 'imported']);
    expect(laneMarks(row(), [attempt({ endedAt: '2025-01-01T00:00:00.000Z' })], spec)).toEqual([]);
    expect(laneMarks(row(), [attempt({ endedAt: null, outcome: null })], spec)).toEqual([]);
  });
});

describe(endsBeforeStartMs.name, () => {
  it('is how long before its start an attempt ends, or null', () => {
    expect(endsBeforeStartMs({ startedAt: '2025-01-01T00:00:03.112Z', endedAt: '2025-01-01T00:00:00.000Z' })).toBe(3112);
    expect(endsBeforeStartMs({ startedAt: '2025-01-01T00:00:00.000Z', endedAt: '2025-01-01T00:00:00.000Z' })).toBeNull();
    expect(endsBeforeStartMs({ startedAt: '2025-01-01T00:00:00.000Z', endedAt: '2025-01-01T00:00:01.000Z' })).toBeNull();
    expect(endsBeforeStartMs({ startedAt: '2025-01-01T00:00:00.000Z', endedAt: null })).toBeNull();
  });
});

describe(timelineLane.name, () => {
  it('builds the cell key and carries the row through', () => {
    const lane = timelineLane(row({ questionId: 'q2', region: 'us', replicate: 1, legacyId: 'L-5' }), [], spec);
    expect(lane).toMatchObject({ executionId: '11', cellKey: 'q2|gpt-x|us|1', legacyId: 'L-5', marks: [], attempts: [], gapMs: null });
  });

  it("gives a later duplicate its delay from the earliest copy's first start, using its own earliest attempt", () => {
    const attempts = [attempt({ startedAt: '2025-01-01T00:03:00.000Z' }), attempt({ attempt: 2, startedAt: '2025-01-01T00:01:30.000Z' })];
    const lane = timelineLane(row({ duplicateOf: ['9'], duplicatesFirstStart: '2025-01-01T00:00:00.000Z' }), attempts, spec);
    expect(lane.gapMs).toBe(90_000);
  });

  it('gives no delay to the first copy, a lane started at the same time, one without attempts or one without duplicates', () => {
    const at = (t: string): TimelineAttemptView[] => [attempt({ startedAt: t })];
    const dup = row({ duplicateOf: ['9'], duplicatesFirstStart: '2025-01-01T00:01:00.000Z' });
    expect(timelineLane(dup, at('2025-01-01T00:00:00.000Z'), spec).gapMs).toBeNull();
    expect(timelineLane(dup, at('2025-01-01T00:01:00.000Z'), spec).gapMs).toBeNull();
    expect(timelineLane(dup, [], spec).gapMs).toBeNull();
    expect(timelineLane(row(), at('2025-01-01T00:05:00.000Z'), spec).gapMs).toBeNull();
  });
});

describe(specAxes.name, () => {
  it('reads the axis ids and defaults repeats to 1', () => {
    expect(specAxes({ questions: [{ id: 'q1' }], models: [{ id: 'm' }], regions: [{ id: 'eu' }, { id: 'us' }] })).toEqual({
      questions: ['q1'],
      models: ['m'],
      regions: ['eu', 'us'],
      repeats: 1,
    });
    expect(specAxes({ questions: [], models: [], regions: [], repeats: 3 })!.repeats).toBe(3);
  });

  it('is null for a spec without the axes', () => {
    for (const s of [null, undefined, 'spec', {}, { questions: [], models: [] }, { questions: {}, models: [], regions: [] }]) {
      expect(specAxes(s)).toBeNull();
    }
  });
});

describe(errorLine.name, () => {
  it('takes the message, else the kind, else the text, else JSON, first line only', () => {
    expect(errorLine(null)).toBeNull();
    expect(errorLine(undefined)).toBeNull();
    expect(errorLine({ message: 'boom\nstack', kind: 'k' })).toBe('boom');
    expect(errorLine({ kind: 'timeout' })).toBe('timeout');
    expect(errorLine('plain\nmore')).toBe('plain');
    expect(errorLine({ code: 5 })).toBe('{"code":5}');
  });

  it('cuts a long line to 200 characters ending in an ellipsis', () => {
    expect(errorLine('x'.repeat(200))).toBe('x'.repeat(200));
    const cut = errorLine('y'.repeat(201))!;
    expect(cut).toHaveLength(200);
    expect(cut.endsWith('…')).toBe(true);
  });
});
