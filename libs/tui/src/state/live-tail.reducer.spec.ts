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

describe('connection and gaps', () => {
  const stream = (s: ReturnType<typeof initialLiveTail>, event: Parameters<typeof liveTailReducer>[1]) => liveTailReducer(s, event);

  it('regression: a stream that was lost and came back leaves a gap mark between the events before and after', () => {
    let s = initialLiveTail(100, 0);
    s = stream(s, { type: 'live/stream', event: { type: 'connected', at: 1_000 } });
    expect(s.connection.mode).toBe('connected');
    s = stream(s, { type: 'live/append', events: range(1, 3) });
    s = stream(s, { type: 'live/stream', event: { type: 'failed', at: 10_000, attempt: 1, error: 'stream ended' } });
    expect(s.connection).toMatchObject({ mode: 'reconnecting', since: 10_000 });
    s = stream(s, { type: 'live/stream', event: { type: 'failed', at: 11_000, attempt: 2, error: 'ECONNREFUSED' } });
    expect(s.connection).toMatchObject({ mode: 'disconnected', since: 10_000 });
    expect(s.events).toHaveLength(3);
    s = stream(s, { type: 'live/stream', event: { type: 'connected', at: 25_000 } });
    s = stream(s, { type: 'live/append', events: range(4, 1) });
    expect(s.events.map((e) => e.kind)).toEqual(['attempt_finished', 'attempt_finished', 'attempt_finished', 'gap', 'attempt_finished']);
    expect(s.events[3]).toMatchObject({ text: expect.stringMatching(/stream lost 00:00:10\.000 → back 00:00:25\.000 \(15\.0 s\)/) });
    // The received count is of events only.
    expect(s.received).toBe(4);
  });

  it('marks events the server dropped; the first connection marks nothing', () => {
    let s = stream(initialLiveTail(100, 0), { type: 'live/stream', event: { type: 'connected', at: 1 } });
    expect(s.events).toEqual([]);
    s = stream(s, { type: 'live/dropped', at: 2, dropped: 12, reason: 'slow_client' });
    expect(s.events).toMatchObject([{ kind: 'gap', text: '── gap: the server dropped 12 events (slow_client) ──' }]);
  });
});
