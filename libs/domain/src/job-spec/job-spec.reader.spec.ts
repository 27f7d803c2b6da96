import { describe, expect, it } from '@jest/globals';
import { detectFormat } from './job-spec.reader.js';

describe(detectFormat.name, () => {
  it.each([
    [{ jobspec: {}, benchmark: {} }, 'go-portal'],
    [{ jobspec: null }, 'go-portal'],
    [{ benchmark: { name: 'b' } }, 'go-runner'],
    [{ constraints: {} }, 'go-runner'],
    [{ metadata: {} }, 'go-runner'],
    [{ questions: [], models: [], regions: [] }, 'beacon'],
  ])('detects %p as %s', (raw, format) => {
    expect(detectFormat(raw)).toBe(format);
  });
});
