import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decideDelivery, MAX_NOTIFY_RETRY_AFTER_MS, NOTIFY_BACKOFF, type PostResult } from './delivery-policy.js';

const http = (status: number, retryAfterMs: number | null = null): PostResult => ({ kind: 'http', status, retryAfterMs, excerpt: '' });

describe('decideDelivery', () => {
  it('delivers on any 2xx, at any attempt', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(decideDelivery(http(status), 8, 8, Math.random).state).toBe('delivered');
  });

  it('dead-letters other 4xx, 3xx and 1xx at once, whatever attempts are left', () => {
    for (const status of [400, 401, 403, 404, 410, 413, 422, 425, 301, 302, 101]) {
      const d = decideDelivery(http(status), 1, 8, Math.random);
      expect([status, d.state, d.outcome]).toEqual([status, 'dead', 'dead']);
    }
  });

  it('retries 408, 429, 5xx, timeouts and network errors until the last attempt, which is dead', () => {
    const retryable: PostResult[] = [
      http(408),
      http(429),
      http(500),
      http(503),
      { kind: 'timeout', message: 't' },
      { kind: 'network', message: 'n' },
    ];
    for (const r of retryable) {
      expect(decideDelivery(r, 1, 3, () => 0.5).state).toBe('pending');
      expect(decideDelivery(r, 2, 3, () => 0.5).state).toBe('pending');
      const last = decideDelivery(r, 3, 3, () => 0.5);
      expect(last.state).toBe('dead');
      expect(last.state === 'dead' && last.reason).toMatch(/attempts exhausted \(3\/3\)/);
    }
  });

  it('backs off exponentially with equal jitter, honouring Retry-After up to an hour', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 10 * MAX_NOTIFY_RETRY_AFTER_MS })),
        (attempt, r, retryAfter) => {
          const d = decideDelivery(http(503, retryAfter), attempt, 100, () => r);
          if (d.state !== 'pending') throw new Error('expected a retry');
          // Independent: nominal = min(cap, base * 2^(attempt-1)); jittered in [nominal/2, nominal]; then max with the hint.
          const nominal = Math.min(NOTIFY_BACKOFF.capMs, NOTIFY_BACKOFF.baseMs * 2 ** (attempt - 1));
          const hint = Math.min(retryAfter ?? 0, MAX_NOTIFY_RETRY_AFTER_MS);
          expect(d.delayMs).toBeGreaterThanOrEqual(Math.max(nominal / 2, hint));
          expect(d.delayMs).toBeLessThanOrEqual(Math.max(nominal, hint));
        },
      ),
    );
  });
});
