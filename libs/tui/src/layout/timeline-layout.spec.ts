import { describe, expect, it } from '@jest/globals';
import type { AttemptOutcome, TimelineAttemptView, TimelineLaneView } from '@beacon/domain';
import { axisLine, findGaps, laneBar, markColumn, timeWindow } from './timeline-layout.js';
import { formatDuration } from './time-format.js';

const T0 = Date.parse('2025-09-30T15:15:05.112Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const attempt = (start: number, end: number | null, outcome: AttemptOutcome | null = 'succeeded', n = 1): TimelineAttemptView => ({
  id: `a${start}`,
  attempt: n,
  runnerId: 'r',
  startedAt: at(start),
  endedAt: end === null ? null : at(end),
  outcome,
  httpStatus: 200,
  error: null,
  latencyMs: end === null ? null : end - start,
  inputTokens: 1,
  outputTokens: 2,
  traceId: 't',
  promptHash: 'h',
});
const lane = (id: string, attempts: TimelineAttemptView[]): TimelineLaneView => ({
  executionId: id,
  questionId: 'q',
  modelId: 'm',
  region: 'us-east',
  replicate: 0,
  state: 'succeeded',
  classification: 'answered',
  cellKey: 'q|m|us-east|0',
  duplicateOf: [],
  marks: [],
  attempts,
});
const text = (segs: { text: string }[]) => segs.map((s) => s.text).join('');

describe(laneBar.name, () => {
  const w = timeWindow(T0, T0 + 100_000, 1, 0);

  it('draws each attempt where it ran on the shared axis, by outcome', () => {
    const bar = text(laneBar([attempt(0, 20_000, 'retryable_error'), attempt(50_000, 60_000, 'succeeded', 2)], w, 10, T0));
    expect(bar).toBe('▒▒   █    ');
  });

  it('gives an instant attempt one column, and runs an in-flight one to now', () => {
    expect(text(laneBar([attempt(30_000, 30_000)], w, 10, T0))).toBe('   █      ');
    expect(text(laneBar([attempt(70_000, null)], w, 10, T0 + 100_000))).toBe('       ▶▶▶');
  });

  it('defect 15.6: draws an attempt that ends before it starts from its end to its start as backwards', () => {
    const segs = laneBar([attempt(50_000, 20_000)], w, 10, T0);
    expect(text(segs)).toBe('  ◀◀◀     ');
    expect(segs.map((s) => s.tone)).toEqual(['empty', 'backwards', 'empty']);
  });

  it('zoomed in, shows only the window and leaves out attempts outside it', () => {
    const zoomed = timeWindow(T0, T0 + 100_000, 4, 0.5);
    expect(zoomed).toEqual({ from: T0 + 50_000, to: T0 + 75_000 });
    expect(text(laneBar([attempt(0, 10_000), attempt(55_000, 60_000)], zoomed, 10, T0))).toBe('  ██      ');
  });
});

describe(findGaps.name, () => {
  it('finds the 3 min 23 s silence of the incident between the first start and the burst', () => {
    const lanes = [
      lane('953', [attempt(0, 41_250)]),
      ...[203_092, 203_199, 203_286].map((s, i) => lane(String(954 + i), [attempt(s, s + 3_000)])),
    ];
    const gaps = findGaps(lanes);
    expect(gaps).toHaveLength(1);
    const [gap] = gaps;
    expect(gap && formatDuration(gap.to - gap.from)).toBe('3 min 23 s');
  });

  it('reports nothing for a steady stream of attempts', () => {
    expect(
      findGaps([
        lane(
          '1',
          Array.from({ length: 50 }, (_, i) => attempt(i * 2_000, i * 2_000 + 1_500)),
        ),
      ]),
    ).toEqual([]);
  });
});

describe(axisLine.name, () => {
  it('puts the window ends at the edges and dashes the gaps', () => {
    const w = timeWindow(T0, T0 + 100_000, 1, 0);
    const line = axisLine(w, 30, [{ from: T0 + 30_000, to: T0 + 70_000 }], (t) => String((t - T0) / 1000));
    expect(line).toHaveLength(30);
    expect(line.startsWith('0─')).toBe(true);
    expect(line.endsWith('─100')).toBe(true);
    expect(line).toContain('┄'.repeat(11));
  });
});

describe(markColumn.name, () => {
  it('shows marks in a fixed order and width', () => {
    expect(markColumn(['retried', 'duplicate'])).toBe('DR ');
    expect(markColumn([])).toBe('   ');
    expect(markColumn(['impossible_times', 'imported'])).toBe('T  ');
    expect(markColumn(['duplicate', 'out_of_spec', 'prompt_drift', 'impossible_times'])).toBe('TDO');
  });
});

describe(formatDuration.name, () => {
  it('reads like an operator would say it', () => {
    expect(formatDuration(320)).toBe('320 ms');
    expect(formatDuration(3_139)).toBe('3.14 s');
    expect(formatDuration(203_199)).toBe('3 min 23 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
  });

  it('picks the unit after rounding, never "1000 ms" or "60.0 s"', () => {
    expect(formatDuration(999.4)).toBe('999 ms');
    expect(formatDuration(999.6)).toBe('1.00 s');
    expect(formatDuration(9_996)).toBe('10.0 s');
    expect(formatDuration(59_960)).toBe('1 min 0 s');
  });
});
