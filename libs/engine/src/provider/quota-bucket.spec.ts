import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { openAiProvider } from '@beacon/domain';
import { ProviderQuotas, TokenBucket } from './quota-bucket.js';

describe('TokenBucket: a per-minute quota', () => {
  it('never spends more than the quota in any 60 s window, whatever the arrivals (checked against the spend times)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 20_000 }), n: fc.integer({ min: 1, max: 50 }) }), {
          minLength: 1,
          maxLength: 200,
        }),
        (perMinute, arrivals) => {
          let t = 0;
          const bucket = new TokenBucket(perMinute, () => t);
          const spent: { at: number; n: number }[] = [];
          for (const a of arrivals) {
            t += a.gap;
            const n = Math.min(a.n, Math.max(1, perMinute / 6)); // what the bucket counts for it
            spent.push({ at: t + bucket.take(a.n), n });
          }
          // Independent check: every window [s, s + 60 s) starting at a spend time.
          for (const w of spent) {
            const inWindow = spent.filter((x) => x.at >= w.at && x.at < w.at + 60_000).reduce((sum, x) => sum + x.n, 0);
            expect(inWindow).toBeLessThanOrEqual(perMinute + 1e-9);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lets a burst of a sixth of the quota through at once, then paces the rest evenly', () => {
    let t = 0;
    const bucket = new TokenBucket(60, () => t);
    const waits = Array.from({ length: 12 }, () => bucket.take(1));
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    // 50 per minute refill: 1.2 s apart.
    expect(waits.slice(10)).toEqual([1200, 2400]);
    t = 60_000;
    expect(bucket.take(1)).toBe(0);
  });
});

describe('ProviderQuotas', () => {
  it('admits at once without a quota, and waits by the configured one (ending early when the call is aborted)', async () => {
    const t = 0;
    const quotas = new ProviderQuotas(() => t);
    const never = new AbortController().signal;
    const free = openAiProvider('http://x', null);
    for (let i = 0; i < 100; i++) await quotas.admit(free, 1_000_000, never);
    const paced = { ...free, requestsPerMinute: 6 }; // a burst of 1, then one per 12 s
    await quotas.admit(paced, 1, never);
    const abort = new AbortController();
    const started = Date.now();
    const waiting = quotas.admit(paced, 1, abort.signal);
    setTimeout(() => abort.abort(), 20);
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
