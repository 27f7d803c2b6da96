import { describe, expect, it } from '@jest/globals';
import { bindRefusal, isLoopbackHost } from './bind-policy.js';
import { roleAtLeast } from './roles.js';

describe(isLoopbackHost.name, () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '192.168.1.4', '10.0.0.1', 'example.com', '::ffff:10.0.0.1', '128.0.0.1'])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
});

describe(bindRefusal.name, () => {
  it('allows loopback without tokens and any address with tokens', () => {
    expect(bindRefusal('127.0.0.1', 0)).toBeNull();
    expect(bindRefusal('0.0.0.0', 1)).toBeNull();
  });
  it('refuses a non-loopback address without tokens, saying how to fix it', () => {
    expect(bindRefusal('0.0.0.0', 0)).toMatch(/refusing to listen on 0\.0\.0\.0 without API tokens.*beacon token create/);
  });
});

describe(roleAtLeast.name, () => {
  it('orders viewer < submitter < operator < admin', () => {
    expect(roleAtLeast('admin', 'viewer')).toBe(true);
    expect(roleAtLeast('operator', 'submitter')).toBe(true);
    expect(roleAtLeast('submitter', 'submitter')).toBe(true);
    expect(roleAtLeast('submitter', 'operator')).toBe(false);
    expect(roleAtLeast('viewer', 'submitter')).toBe(false);
  });
});
