import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  type BackoffPolicy,
  type CallFailure,
  DEFAULT_BACKOFF,
  classifyFailure,
  decideAfterFailure,
  nominalDelayMs,
  parseRetryAfter,
  retryDelayMs,
} from './retry-policy.js';

const http = (status: number): CallFailure => ({ kind: 'http', status, message: '' });
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const policies = fc.record({
  baseMs: fc.integer({ min: 1, max: 10_000 }),
  factor: fc.integer({ min: 1, max: 4 }),
  capMs: fc.integer({ min: 1, max: 600_000 }),
});
const failures: fc.Arbitrary<CallFailure> = fc.oneof(
  fc.constantFrom<CallFailure>(
    { kind: 'network', message: 'ECONNRESET' },
    { kind: 'timeout', message: '' },
    { kind: 'aborted', message: '' },
    { kind: 'invalid_response', message: 'no choices' },
  ),
  fc.record({
    kind: fc.constant('http' as const),
    status: fc.integer({ min: 100, max: 599 }),
    retryAfterMs: fc.option(fc.integer({ min: 0, max: 3_600_000 })),
    message: fc.string({ maxLength: 5 }),
  }),
);

describe(classifyFailure.name, () => {
  it.each([408, 425, 429, 500, 502, 503, 504, 529, 599])('treats http %i as retryable', (status) => {
    expect(classifyFailure(http(status))).toBe('retryable');
  });

  it.each([400, 401, 403, 404, 409, 413, 422, 302])('treats http %i as final', (status) => {
    expect(classifyFailure(http(status))).toBe('final');
  });

  it('retries transport problems and leaves aborts to the caller', () => {
    expect(classifyFailure({ kind: 'network', message: 'ECONNRESET' })).toBe('retryable');
    expect(classifyFailure({ kind: 'timeout', message: '' })).toBe('retryable');
    expect(classifyFailure({ kind: 'aborted', message: '' })).toBe('retryable');
  });

  it('gives up on invalid responses and on an http failure without a status', () => {
    expect(classifyFailure({ kind: 'invalid_response', message: 'no choices' })).toBe('final');
    expect(classifyFailure({ kind: 'http', message: '' })).toBe('final');
  });
});

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });

  it('reads the three HTTP-date forms relative to now', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wednesday, 01-Jan-25 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed Jan  1 00:00:10 2025', now)).toBe(10_000);
  });

  it('clamps a date in the past to 0 and anything to seven days (the engine applies its own, lower cap)', () => {
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('100000', now)).toBe(100_000_000);
    expect(parseRetryAfter('99999999999999999999', now)).toBe(604_800_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:00 GMT', now)).toBe(604_800_000);
  });

  it.each([null, undefined, '', '  ', '-3', 'soon', 'foo 1', '2025-01-01', 'Wed, 99 Foo 2025 00:00:00 GMT'])(
    'returns null for %p',
    (header) => {
      expect(parseRetryAfter(header, now)).toBeNull();
    },
  );
});

describe(retryDelayMs.name, () => {
  it('follows 2 s doubling up to 5 min with equal jitter by default', () => {
    expect(retryDelayMs(1, null, () => 0)).toBe(1000);
    expect(retryDelayMs(1, null, () => 0.5)).toBe(1500);
    expect(retryDelayMs(3, null, () => 0)).toBe(4000);
    expect(retryDelayMs(20, null, () => 0)).toBe(150_000);
    expect(retryDelayMs(1, 45_000, () => 0.9)).toBe(45_000);
  });

  it('stays within [nominal/2, nominal] unless Retry-After is larger', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), unit, policies, (n, r, policy: BackoffPolicy) => {
        const nominal = nominalDelayMs(n, policy);
        const delay = retryDelayMs(n, null, () => r, policy);
        expect(delay).toBeGreaterThanOrEqual(nominal / 2);
        expect(delay).toBeLessThanOrEqual(nominal);
      }),
    );
  });

  it('is never below Retry-After and never above max(cap, Retry-After)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.integer({ min: 0, max: 3_600_000 })),
        unit,
        policies,
        (n, retryAfter, r, policy: BackoffPolicy) => {
          const delay = retryDelayMs(n, retryAfter, () => r, policy);
          expect(delay).toBeGreaterThanOrEqual(retryAfter ?? 0);
          expect(delay).toBeLessThanOrEqual(Math.max(policy.capMs, retryAfter ?? 0));
          if (retryAfter === null || retryAfter <= nominalDelayMs(n, policy) / 2) {
            expect(delay).toBeGreaterThanOrEqual(nominalDelayMs(n, policy) / 2);
          }
        },
      ),
    );
  });

  it('uses the default policy when none is given', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), unit, (n, r) => {
        expect(retryDelayMs(n, null, () => r)).toBeLessThanOrEqual(DEFAULT_BACKOFF.capMs);
      }),
    );
  });
});

describe(decideAfterFailure.name, () => {
  it('retries a 503 after the first attempt and fails after the last', () => {
    const failure = http(503);
    expect(decideAfterFailure({ failure, attempt: 1, maxAttempts: 4, random: () => 0 })).toEqual({
      action: 'retry',
      delayMs: 1000,
      reason: 'retryable error: http 503; retry 1 of 3',
    });
    expect(decideAfterFailure({ failure, attempt: 4, maxAttempts: 4, random: () => 0 })).toEqual({
      action: 'fail',
      reason: 'attempts exhausted (4/4) after http 503',
    });
  });

  it('honours Retry-After on a 429', () => {
    const decision = decideAfterFailure({
      failure: { kind: 'http', status: 429, retryAfterMs: 30_000, message: 'slow down' },
      attempt: 2,
      maxAttempts: 4,
      random: () => 0.99,
    });
    expect(decision).toMatchObject({ action: 'retry', delayMs: 30_000 });
  });

  it('fails a 400 at once', () => {
    expect(decideAfterFailure({ failure: http(400), attempt: 1, maxAttempts: 4, random: () => 0 })).toEqual({
      action: 'fail',
      reason: 'final error: http 400',
    });
  });

  it('never retries a final failure and never exceeds maxAttempts', () => {
    fc.assert(
      fc.property(failures, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), unit, (failure, attempt, maxAttempts, r) => {
        const decision = decideAfterFailure({ failure, attempt, maxAttempts, random: () => r });
        if (decision.action === 'retry') {
          expect(classifyFailure(failure)).toBe('retryable');
          expect(attempt + 1).toBeLessThanOrEqual(maxAttempts);
          expect(decision.delayMs).toBeGreaterThanOrEqual(failure.retryAfterMs ?? 0);
        } else if (classifyFailure(failure) === 'retryable') {
          expect(attempt).toBeGreaterThanOrEqual(maxAttempts);
        }
      }),
    );
  });
});
