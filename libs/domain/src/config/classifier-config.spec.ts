import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../problems/config.error.js';
import { parseConfig } from './config.parser.js';

describe(`${parseConfig.name} classifier section`, () => {
  it('has no judge unless one is configured and enabled', () => {
    expect(parseConfig('', 'beacon.config.yaml').classifier).toEqual({ judge: null });
    const off = parseConfig(
      'classifier:\n  judge:\n    enabled: false\n    baseUrl: http://127.0.0.1:9000/v1\n    model: m\n',
      'beacon.config.yaml',
    );
    expect(off.classifier).toEqual({ judge: null });
  });

  it('reads the judge endpoint, model and key variable, with defaults for the rest', () => {
    const c = parseConfig(
      'classifier:\n  judge:\n    baseUrl: https://api.example.com/v1\n    model: gpt-4o-mini\n    apiKeyEnv: JUDGE_API_KEY\n',
      'beacon.config.yaml',
    );
    expect(c.classifier).toEqual({
      judge: {
        baseUrl: 'https://api.example.com/v1',
        model: 'gpt-4o-mini',
        apiKeyEnv: 'JUDGE_API_KEY',
        belowConfidence: 0.7,
        timeoutMs: 60_000,
      },
    });
  });

  it('names the bad field', () => {
    const parse = () =>
      parseConfig('classifier:\n  judge:\n    baseUrl: ftp://x\n    model: m\n    belowConfidence: 2\n', 'beacon.config.yaml');
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/classifier\.judge\.baseUrl/);
    expect(parse).toThrow(/classifier\.judge\.belowConfidence/);
  });
});
