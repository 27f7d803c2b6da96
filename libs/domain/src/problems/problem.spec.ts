import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './config.error.js';
import { sortProblems } from './problem.js';

describe(sortProblems.name, () => {
  it('orders by path with numeric indices and keeps the order of problems at one path', () => {
    const paths = ['$.regions[10]', '$.questions[2].text', '$', '$.regions[2]', '$.questions[2]', '$.models[0]', '$.regions[2]'];
    const sorted = sortProblems(paths.map((path, i) => ({ path, message: String(i) })));
    expect(sorted.map((p) => `${p.path}#${p.message}`)).toEqual([
      '$#2',
      '$.models[0]#5',
      '$.questions[2]#4',
      '$.questions[2].text#1',
      '$.regions[2]#3',
      '$.regions[2]#6',
      '$.regions[10]#0',
    ]);
  });
});

describe(ConfigError.name, () => {
  it('puts every problem on its own line, prefixed by the source', () => {
    const error = new ConfigError(
      [
        { path: 'a.b', message: 'bad' },
        { path: 'c', message: 'worse' },
      ],
      'beacon.config.yaml',
    );
    expect(error.message).toBe('beacon.config.yaml: a.b: bad\nbeacon.config.yaml: c: worse');
    expect(error.name).toBe('ConfigError');
    expect(error).toBeInstanceOf(Error);
    expect(error.problems).toHaveLength(2);
  });
});
