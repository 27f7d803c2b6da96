import { describe, expect, it } from '@jest/globals';
import type { LiveEventView } from '@beacon/domain';
import { appendBounded, initialLiveTail, liveTailReducer, pendingWhilePaused, visibleEvents } from './live-tail.reducer.js';

const ev = (n: number): LiveEventView => ({
  seq: String(n),
  kind: 'attempt_finished',
  at: new Date(n * 1000).toISOString(),
  jobId: 'j',
  executionId: String(n),
  attemptId: null,
  region: 'us-east',
  modelId: 'm',
  questionId: 'q',
  state: 'succeeded',
  outcome: 'succeeded',
  classification: 'answered',
  runnerId: 'r',
  attempt: 1,
  latencyMs: 5,
  httpStatus: 200,
  ruleId: null,
  severity: null,
});
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => ev(from + i));

describe(liveTailReducer.name, () => {
  it('keeps only the newest events up to capacity, counting every one received', () => {
    let s = initialLiveTail(100);
    for (let i = 0; i < 30; i++) s = liveTailReducer(s, { type: 'live/append', events: range(i * 10, 10) });
    expect(s.events).toHaveLength(100);
    expect(s.events[0]?.seq).toBe('200');
    expect(s.events[99]?.seq).toBe('299');
    expect(s.received).toBe(300);
  });

  it('a batch larger than the buffer keeps its tail', () => {
    expect(appendBounded(range(0, 5), range(5, 20), 8).map((e) => e.seq)).toEqual(range(17, 8).map((e) => e.seq));
    const same = range(0, 3);
    expect(appendBounded(same, [], 8)).toBe(same);
  });

  it('pausing freezes what is shown while events keep arriving; resuming shows them', () => {
    let s = liveTailReducer(initialLiveTail(10), { type: 'live/append', events: range(0, 3) });
    s = liveTailReducer(s, { type: 'live/pause' });
    s = liveTailReducer(s, { type: 'live/append', events: range(3, 12) });
    expect(visibleEvents(s).map((e) => e.seq)).toEqual(['0', '1', '2']);
    expect(pendingWhilePaused(s)).toBe(12);
    s = liveTailReducer(s, { type: 'live/pause' });
    expect(visibleEvents(s)).toHaveLength(10);
    expect(pendingWhilePaused(s)).toBe(0);
  });

  it('follow is a flag the view pins the cursor to', () => {
    const s = liveTailReducer(initialLiveTail(), { type: 'live/follow', on: false });
    expect(s.follow).toBe(false);
    expect(liveTailReducer(s, { type: 'live/follow', on: false })).toBe(s);
  });
});
