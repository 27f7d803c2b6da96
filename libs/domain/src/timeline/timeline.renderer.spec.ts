import { describe, expect, it } from '@jest/globals';
import type { AttemptOutcome } from '../status/job-status.js';
import type { TimelineAttemptView, TimelineLaneView, TimelineView } from '../views/api-views.types.js';
import { formatDuration, laneBar, renderTimeline } from './timeline.renderer.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(T0 + ms).toISOString();

const attempt = (
  startMs: number,
  endMs: number | null,
  outcome: string | null = 'succeeded',
  over: Partial<TimelineAttemptView> = {},
): TimelineAttemptView => ({
  id: `a${startMs}`,
  attempt: 1,
  runnerId: 'r',
  startedAt: iso(startMs),
  endedAt: endMs === null ? null : iso(endMs),
  outcome: outcome as AttemptOutcome | null, // words outside the vocabulary too: a newer server may send them
  httpStatus: null,
  error: null,
  latencyMs: null,
  inputTokens: null,
  outputTokens: null,
  traceId: 't',
  promptHash: 'h',
  ...over,
});

const lane = (executionId: string, attempts: TimelineAttemptView[], over: Partial<TimelineLaneView> = {}): TimelineLaneView => ({
  executionId,
  questionId: 'q1',
  modelId: 'gpt-x',
  region: 'eu',
  replicate: 0,
  state: 'succeeded',
  classification: 'answered',
  cellKey: `q1|gpt-x|eu|0`,
  duplicateOf: [],
  marks: [],
  attempts,
  legacyId: null,
  gapMs: null,
  ...over,
});

const view = (lanes: TimelineLaneView[], from: number | null, to: number | null, totalLanes = lanes.length): TimelineView => ({
  job: {
    id: '5',
    status: 'running',
    format: 'x',
    benchmark: 'b',
    cells: {} as TimelineView['job']['cells'],
    submitter: null,
    findings: { open: 0, duplicates: 0 },
    createdAt: iso(0),
    updatedAt: iso(0),
    startedAt: null,
    finishedAt: null,
    cancelRequestedAt: null,
    pausedAt: null,
  },
  from: from === null ? null : iso(from),
  to: to === null ? null : iso(to),
  totalLanes,
  lanes,
  nextCursor: null,
});

/** The bar between the pipes of each lane line, with its starting column. */
const bars = (out: string): { col: number; bar: string }[] =>
  out
    .split('\n')
    .filter((l) => /\|.*\|/.test(l))
    .map((l) => ({ col: l.indexOf('|'), bar: l.slice(l.indexOf('|') + 1, l.lastIndexOf('|')) }));

describe(laneBar.name, () => {
  it('draws an attempt spanning the whole axis across every column', () => {
    expect(laneBar([attempt(0, 10_000)], T0, T0 + 10_000, 10)).toBe('█'.repeat(10));
  });

  it('places attempts proportionally, with a glyph per outcome', () => {
    const bar = laneBar([attempt(0, 1_000, 'retryable_error'), attempt(5_000, 6_000, 'final_error')], T0, T0 + 10_000, 10);
    expect(bar).toBe('rr   xx   ');
  });

  it('draws a running attempt up to the end of the axis, and an unknown outcome as ?', () => {
    expect(laneBar([attempt(5_000, null, null)], T0, T0 + 10_000, 10)).toBe('     >>>>>');
    expect(laneBar([attempt(0, 0, 'weird')], T0, T0 + 10_000, 10)).toBe('?         ');
  });

  it('keeps attempts outside the span on the axis and handles a zero-length span', () => {
    expect(laneBar([attempt(-5_000, 20_000)], T0, T0 + 10_000, 8)).toBe('█'.repeat(8));
    expect(laneBar([attempt(0, 0)], T0, T0, 5)).toBe('█    ');
  });

  it('defect 15.6: draws an attempt that ends before it starts from its end to its start as <, whatever its outcome', () => {
    expect(laneBar([attempt(5_000, 2_000)], T0, T0 + 10_000, 10)).toBe('  <<<<    ');
    expect(laneBar([attempt(5_000, 2_000, 'final_error')], T0, T0 + 10_000, 10)).toBe('  <<<<    ');
  });

  it('is always exactly the width', () => {
    for (const width of [1, 7, 33]) {
      expect(laneBar([attempt(0, 3_000), attempt(9_000, null, null)], T0, T0 + 10_000, width)).toHaveLength(width);
    }
  });
});

describe(renderTimeline.name, () => {
  const lanes = [
    lane('1', [attempt(0, 2_000, 'lease_expired'), attempt(60_000, 120_000, 'succeeded', { attempt: 2, error: 'slow\nstack' })], {
      marks: ['lease_expired', 'retried'],
    }),
    lane('22', [attempt(120_000, 240_000)], {
      region: 'us-east-long',
      questionId: 'q2',
      replicate: 1,
      legacyId: 'GO-9',
      duplicateOf: ['1'],
      marks: ['duplicate'],
      gapMs: 120_000,
    }),
  ];

  it("draws every lane on one axis from the job's from to its to", () => {
    const out = renderTimeline(view(lanes, 0, 240_000), { width: 120 });
    const [a, b] = bars(out);
    expect(a!.col).toBe(b!.col);
    expect(a!.bar).toHaveLength(b!.bar.length);
    expect(a!.bar[0]).toBe('L');
    expect(a!.bar.trimEnd().endsWith('█')).toBe(true);
    expect(b!.bar.endsWith('█')).toBe(true);
    expect(b!.bar[0]).toBe(' ');
    // The first lane's success ends where the second lane's attempt begins, half way along.
    expect(a!.bar.trimEnd().length - 1).toBe(b!.bar.indexOf('█'));
    expect(b!.bar.indexOf('█')).toBe(Math.floor(a!.bar.length / 2));
  });

  it('keeps lane lines (before their notes) within the width', () => {
    for (const width of [80, 120, 160]) {
      const quiet = lanes.map((l) => ({
        ...l,
        duplicateOf: [],
        gapMs: null,
        attempts: l.attempts.slice(-1).map((x) => ({ ...x, error: null })),
      }));
      const lines = renderTimeline(view(quiet, 0, 240_000), { width })
        .split('\n')
        .filter((l) => l.includes('|'));
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
    }
  });

  it('caps the axis at 120 columns and never makes it narrower than 10', () => {
    expect(bars(renderTimeline(view(lanes, 0, 240_000), { width: 400 }))[0]!.bar).toHaveLength(120);
    expect(bars(renderTimeline(view(lanes, 0, 240_000), { width: 20 }))[0]!.bar).toHaveLength(10);
  });

  it('shows the span, marks and notes: duplicate delay with legacy ids, attempts and the last error on one line', () => {
    const out = renderTimeline(view(lanes, 0, 240_000), { width: 160 });
    expect(out.split('\n')[0]).toBe(`job 5 · running · 2 lanes · ${iso(0)} → ${iso(240_000)} (4 min 0 s)`);
    const [first, second] = out.split('\n').filter((l) => /\|.*\|/.test(l));
    expect(first).toMatch(/\|  LR\s+2 attempts; slow stack$/);
    expect(second).toMatch(/\|  D\s+duplicate of 1 \+2 min 0 s$/);
    expect(second).toContain('q2#1');
    expect(second).toContain('22 (GO-9)');
  });

  it('defect 15.6: says by how much an attempt ends before it starts, with the T mark and the legend', () => {
    const backwards = lane('7', [attempt(5_000, 1_888)], { marks: ['impossible_times', 'imported'], legacyId: '953' });
    const out = renderTimeline(view([backwards], 1_888, 5_000), { width: 160 });
    expect(out.split('\n')[0]).toContain('(3 s)');
    const [line] = out.split('\n').filter((l) => /\|.*\|/.test(l));
    expect(line).toMatch(/\|<+\|  TI\s+attempt 1 ends 3 s before it starts$/);
    expect(out).toContain('< ends before it starts');
    expect(out).toContain('T impossible times');
  });

  it('says when there are no attempts yet and when lanes are left for later pages', () => {
    const out = renderTimeline(view([lane('1', [])], null, null, 3), { width: 100 });
    expect(out.split('\n')[0]).toBe('job 5 · running · 3 lanes · no attempts yet');
    expect(out).toContain('… 2 more lane(s)');
  });

  it('neutralises control characters in labels and notes', () => {
    const out = renderTimeline(
      view([lane('1', [attempt(0, 1_000, 'final_error', { error: 'bad\x1b[2J' })], { modelId: 'm\x07' })], 0, 1_000),
      { width: 100 },
    );
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });
});

describe(formatDuration.name, () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [999.6, '1 s'],
    [1_000, '1 s'],
    [59_600, '1 min 0 s'],
    [41_400, '41 s'],
    [203_000, '3 min 23 s'],
    [3_600_000, '1 h 0 min'],
    [5_430_000, '1 h 30 min'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
