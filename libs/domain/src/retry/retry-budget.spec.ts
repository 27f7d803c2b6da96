import { describe, expect, it } from '@jest/globals';
import { RetryBudget } from './retry-budget.js';

const KEY = 'us-east|mistral-7b';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function drain(budget: RetryBudget, key: string): number {
  let passed = 0;
  while (budget.tryRetry(key)) passed += 1;
  return passed;
}

describe(RetryBudget.name, () => {
  it('lets at most ratio × first attempts + the floor through in one window', () => {
    const c = clock();
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 60_000, minPerSecond: 1 }, c.now);
    for (let i = 0; i < 100; i += 1) budget.recordFirstAttempt(KEY);
    expect(budget.snapshot(KEY)).toEqual({ firstAttempts: 100, retries: 0, allowed: 80 });
    expect(drain(budget, KEY)).toBe(20 + 60);
    expect(budget.canRetry(KEY)).toBe(false);
    expect(budget.snapshot(KEY)).toEqual({ firstAttempts: 100, retries: 80, allowed: 0 });
  });

  it('allows only the floor when there is no traffic', () => {
    const budget = new RetryBudget({ windowMs: 10_000, minPerSecond: 0.5 }, clock().now);
    expect(drain(budget, KEY)).toBe(5);
  });

  it('with no floor, ties retries strictly to first attempts', () => {
    const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 0 }, clock().now);
    expect(budget.tryRetry(KEY)).toBe(false);
    for (let i = 0; i < 25; i += 1) budget.recordFirstAttempt(KEY);
    expect(drain(budget, KEY)).toBe(2);
  });

  it('recovers once the window has slid past the spent retries', () => {
    const c = clock();
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 60_000, minPerSecond: 1 }, c.now);
    for (let i = 0; i < 100; i += 1) budget.recordFirstAttempt(KEY);
    drain(budget, KEY);
    c.advance(30_000);
    expect(budget.canRetry(KEY)).toBe(false);
    c.advance(30_000);
    expect(budget.snapshot(KEY)).toEqual({ firstAttempts: 0, retries: 0, allowed: 60 });
    expect(budget.tryRetry(KEY)).toBe(true);
  });

  it('slides bucket by bucket', () => {
    const c = clock(0);
    const budget = new RetryBudget({ ratio: 1, windowMs: 3000, minPerSecond: 0 }, c.now);
    budget.recordFirstAttempt(KEY);
    c.advance(1000);
    budget.recordFirstAttempt(KEY);
    c.advance(1000);
    budget.recordFirstAttempt(KEY);
    expect(budget.snapshot(KEY).firstAttempts).toBe(3);
    c.advance(1000);
    expect(budget.snapshot(KEY).firstAttempts).toBe(2);
    c.advance(1999);
    expect(budget.snapshot(KEY).firstAttempts).toBe(1);
  });

  it('keeps keys apart', () => {
    const budget = new RetryBudget({ ratio: 1, minPerSecond: 0 }, clock().now);
    budget.recordFirstAttempt('a');
    expect(budget.tryRetry('b')).toBe(false);
    expect(budget.tryRetry('a')).toBe(true);
  });

  it('forgets idle keys after a window so memory stays bounded', () => {
    const c = clock();
    const budget = new RetryBudget({ windowMs: 5000 }, c.now);
    for (let i = 0; i < 1000; i += 1) budget.recordFirstAttempt(`key-${i}`);
    expect(budget.size).toBe(1000);
    c.advance(5000);
    budget.recordFirstAttempt('fresh');
    expect(budget.size).toBe(1);
  });

  it('charges a clock that steps back to the newest bucket', () => {
    const c = clock(10_000);
    const budget = new RetryBudget({ ratio: 1, windowMs: 5000, minPerSecond: 0 }, c.now);
    budget.recordFirstAttempt(KEY);
    c.advance(-2000);
    budget.recordFirstAttempt(KEY);
    expect(budget.snapshot(KEY).firstAttempts).toBe(2);
  });

  it('rejects nonsensical options', () => {
    expect(() => new RetryBudget({ ratio: -1 })).toThrow(RangeError);
    expect(() => new RetryBudget({ windowMs: 10 })).toThrow(RangeError);
    expect(() => new RetryBudget({ minPerSecond: Number.NaN })).toThrow(RangeError);
  });
});
