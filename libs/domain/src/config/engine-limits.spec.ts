import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../problems/config.error.js';
import type { Problem } from '../problems/problem.js';
import { parseConfig } from './config.parser.js';
import { ENGINE_LIMITS } from './default-config.data.js';

function problemsOf(text: string): Problem[] {
  try {
    parseConfig(text, 'test.yaml', {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('limits: engine and API caps', () => {
  it('default to a two-minute Retry-After cap, a 4 MiB response cap, 5 lease losses and bounded streams and connections', () => {
    expect(parseConfig('', 'empty.yaml', {}).limits).toMatchObject({
      maxRetryAfterMs: 120_000,
      maxResponseBytes: 4_194_304,
      maxLeaseLossesPerCell: 5,
      maxEventStreams: 256,
      maxEventStreamsPerClient: 16,
      maxConnections: 1024,
    });
    expect(ENGINE_LIMITS.maxRetryAfterMs).toBeLessThanOrEqual(300_000);
  });

  it('take values from the file', () => {
    const limits = parseConfig(
      'limits: { maxRetryAfterMs: 0, maxResponseBytes: 65536, maxLeaseLossesPerCell: 1, maxEventStreams: 2, maxEventStreamsPerClient: 1, maxConnections: 64 }',
      't.yaml',
      {},
    ).limits;
    expect(limits).toMatchObject({
      maxRetryAfterMs: 0,
      maxResponseBytes: 65_536,
      maxLeaseLossesPerCell: 1,
      maxEventStreams: 2,
      maxEventStreamsPerClient: 1,
      maxConnections: 64,
    });
  });

  it.each([
    ['maxRetryAfterMs', '-1'],
    ['maxRetryAfterMs', '1.5'],
    ['maxResponseBytes', '10'],
    ['maxLeaseLossesPerCell', '0'],
    ['maxEventStreams', '0'],
    ['maxEventStreamsPerClient', '"many"'],
    ['maxConnections', '2'],
  ])('refuse limits.%s: %s with a problem naming the key', (key, value) => {
    const problems = problemsOf(`limits: { ${key}: ${value} }`);
    expect(problems).toEqual([expect.objectContaining({ path: `limits.${key}` })]);
    expect(problems[0]!.message).not.toBe('');
  });
});
