import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../problems/config.error.js';
import { ANALYSIS_DEFAULTS } from './analysis-config.js';
import { parseConfig } from './config.parser.js';

describe('analysis: section of the configuration', () => {
  it('defaults every key, and takes the ones given', () => {
    expect(parseConfig('', 'conf.yaml', {}).analysis).toEqual(ANALYSIS_DEFAULTS);
    expect(parseConfig('analysis: { concurrency: 2, waitMs: 500 }', 'conf.yaml', {}).analysis).toEqual({
      ...ANALYSIS_DEFAULTS,
      concurrency: 2,
      waitMs: 500,
    });
  });

  it('names the key and the problem for a bad value or an unknown key', () => {
    const problems = (text: string) => {
      try {
        parseConfig(text, 'conf.yaml', {});
      } catch (err) {
        return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      throw new Error('accepted');
    };
    expect(problems('analysis: { concurrency: 0 }')).toEqual(['analysis.concurrency: must be an integer between 1 and 64']);
    expect(problems('analysis: { sampleReplicates: 1.5 }')).toEqual(['analysis.sampleReplicates: must be an integer between 2 and 10000']);
    expect(problems('analysis: { timeout: 5 }')[0]).toMatch(/^analysis(\.timeout)?: unknown key/);
  });
});
