import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { initialConnection, isStale, nextConnection, type Connection, type ConnectionEvent } from './connection.js';

const up = (at: number): ConnectionEvent => ({ type: 'connected', at });
const down = (at: number, attempt = 1, error = 'stream ended'): ConnectionEvent => ({ type: 'failed', at, attempt, error });
const run = (events: ConnectionEvent[], start = 0) => events.reduce(nextConnection, initialConnection(start));

describe(nextConnection.name, () => {
  it('regression: connected as soon as the stream is up, not at the first event', () => {
    expect(run([up(100)])).toEqual({ mode: 'connected', since: 100 });
  });

  it('regression: a lost stream is reconnecting at once, then disconnected since the loss while retries fail', () => {
    let c = run([up(100), down(5_000)]);
    expect(c).toEqual({ mode: 'reconnecting', since: 5_000, attempt: 1, error: 'stream ended' });
    c = nextConnection(c, down(5_600, 2, 'ECONNREFUSED'));
    expect(c).toEqual({ mode: 'disconnected', since: 5_000, attempt: 2, error: 'ECONNREFUSED' });
    c = nextConnection(c, down(7_000, 3, 'ECONNREFUSED'));
    expect(c).toMatchObject({ mode: 'disconnected', since: 5_000, attempt: 3 });
    expect(nextConnection(c, up(9_000))).toEqual({ mode: 'connected', since: 9_000 });
  });

  it('never up: disconnected since the start', () => {
    expect(run([down(300, 1, 'ECONNREFUSED')], 10)).toEqual({ mode: 'disconnected', since: 10, attempt: 1, error: 'ECONNREFUSED' });
  });

  it('on any history: stale exactly when the last report was a failure (or none came yet); `since` never in the future', () => {
    const event = fc.oneof(
      fc.record({ type: fc.constant('connected' as const) }),
      fc.record({ type: fc.constant('failed' as const), attempt: fc.integer({ min: 1, max: 9 }), error: fc.string() }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (kinds) => {
        const events = kinds.map((k, i) => ({ ...k, at: (i + 1) * 10 }));
        const states: Connection[] = [];
        events.reduce((c, e) => {
          const next = nextConnection(c, e);
          states.push(next);
          return next;
        }, initialConnection(0));
        const last = events.at(-1);
        const c = states.at(-1) ?? initialConnection(0);
        expect(isStale(c)).toBe(last?.type !== 'connected');
        expect(c.since).toBeLessThanOrEqual(last?.at ?? 0);
        // Connected since the first of the latest run of `connected` reports.
        if (last?.type === 'connected') {
          let i = events.length - 1;
          while (i > 0 && events[i - 1]!.type === 'connected') i--;
          expect(c.since).toBe(events[i]!.at);
        }
      }),
    );
  });
});
