import { describe, expect, it } from '@jest/globals';
import { clientKey, FailedAuthLimiter, TurnGate } from './auth-limits.js';

describe(clientKey.name, () => {
  it('keeps IPv4 addresses (also IPv4-mapped ones) and groups IPv6 addresses by their /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:DB8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('unknown')).toBe('unknown');
  });
});

describe(FailedAuthLimiter.name, () => {
  it('counts slow hashes, refuses past the allowance with a retry time, and gives points back for valid tokens', async () => {
    const limiter = new FailedAuthLimiter(5);
    expect(await limiter.attempt('198.51.100.1', 3)).toEqual({ allowed: true });
    await limiter.succeeded('198.51.100.1', 3);
    for (let i = 0; i < 5; i++) expect(await limiter.attempt('198.51.100.1')).toEqual({ allowed: true });
    expect(await limiter.attempt('198.51.100.1')).toEqual({ allowed: false, retryAfterSeconds: expect.any(Number) });
    // Another address has its own allowance; one costing more than the whole allowance is capped, not refused forever.
    expect(await limiter.attempt('198.51.100.2', 50)).toEqual({ allowed: true });
    expect(await limiter.attempt('198.51.100.2')).toMatchObject({ allowed: false });
  });
});

describe(TurnGate.name, () => {
  it('lets a burst through a few per event-loop turn, in arrival order, with other work running in between', async () => {
    const gate = new TurnGate();
    const order: string[] = [];
    const passed = Array.from({ length: 20 }, (_, i) =>
      gate.pass().then(() => {
        order.push(`w${i}`);
      }),
    );
    // Queued after the gate's first turn: runs once the first 8 are through, before the rest.
    setImmediate(() => order.push('other'));
    await Promise.all(passed);
    expect(order.filter((x) => x !== 'other')).toEqual(Array.from({ length: 20 }, (_, i) => `w${i}`));
    expect(order.indexOf('other')).toBe(8);
  });
});
