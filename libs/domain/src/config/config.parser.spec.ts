import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../problems/config.error.js';
import type { Problem } from '../problems/problem.js';
import { parseConfig } from './config.parser.js';
import { defaultConfig } from './default-config.data.js';
import { openAiProvider } from '../provider/provider-config.js';

function problemsOf(text: string, source = 'test.yaml', env: NodeJS.ProcessEnv = {}): Problem[] {
  try {
    parseConfig(text, source, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const region = (id: string, extra = '') => `  ${id}: { displayName: "${id} name", baseUrl: "http://127.0.0.1:9/${id}/v1"${extra} }`;

describe(parseConfig.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'beacon-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the built-in defaults for an empty file, with its source', () => {
    const config = parseConfig('', 'empty.yaml', {});
    expect({ ...config, source: undefined }).toEqual({ ...defaultConfig(), source: undefined });
    expect(config.source).toBe('empty.yaml');
  });

  it('falls back per section, serving default models in the configured regions', () => {
    const config = parseConfig(
      ['regions:', region('north', ', aliases: [N], concurrency: 4'), 'defaults: { temperature: 0.5 }'].join('\n'),
      'x',
      {},
    );
    expect(Object.keys(config.regions)).toEqual(['north']);
    expect(config.regions.north).toEqual({
      id: 'north',
      aliases: ['N'],
      displayName: 'north name',
      baseUrl: 'http://127.0.0.1:9/north/v1',
      apiKeyEnv: null,
      concurrency: 4,
      timeoutMs: 120_000,
      // A region configured before providers existed is an OpenAI-compatible one.
      provider: openAiProvider('http://127.0.0.1:9/north/v1', null),
      fallbacks: [],
    });
    expect(config.models['mistral-7b']).toEqual({ id: 'mistral-7b', name: 'mistral-7b', regions: ['north'] });
    expect(config.defaults).toEqual({ temperature: 0.5, maxTokens: 500, maxAttempts: 4, repeats: 1 });
    expect(Object.keys(config.questions)).toHaveLength(8);
    expect(config.prompt.version).toBe('regional-v1');
  });

  it('reads models with provider names and regions given by id or alias', () => {
    const config = parseConfig(
      [
        'regions:',
        region('north', ', aliases: [N]'),
        region('south'),
        'models:',
        '  m1: { name: org/Model-1, regions: [n, south, NORTH] }',
        '  m2:',
      ].join('\n'),
      'x',
      {},
    );
    expect(config.models.m1).toEqual({ id: 'm1', name: 'org/Model-1', regions: ['north', 'south'] });
    expect(config.models.m2).toEqual({ id: 'm2', name: 'm2', regions: ['north', 'south'] });
  });

  it('reports every problem of a broken file, each with its path', () => {
    const problems = problemsOf(
      [
        'regions:',
        '  eu-west: { displayName: Europe, baseUrl: "ftp://x", concurrency: 0, timeoutMs: 4000000 }',
        '  Bad_Id: { displayName: B, baseUrl: "http://b" }',
        region('asia', ', apiKeyEnv: "not a var"'),
        'models:',
        '  m1: { regions: [mars] }',
        'prompt: { version: v2, template: "no placeholder" }',
        'defaults: { temperature: 3, maxTokens: 0, maxAttempts: 21, repeats: 1.5 }',
        'limits: { maxCellsPerJob: -1 }',
      ].join('\n'),
    );
    expect(problems).toEqual([
      { path: 'defaults.maxAttempts', message: 'must be an integer between 1 and 20' },
      { path: 'defaults.maxTokens', message: 'must be an integer between 1 and 1000000' },
      { path: 'defaults.repeats', message: 'must be an integer between 1 and 1000' },
      { path: 'defaults.temperature', message: 'must be a number between 0 and 2' },
      { path: 'limits.maxCellsPerJob', message: 'must be a positive integer' },
      { path: 'models.m1.regions[0]', message: 'unknown region "mars" (known: eu-west, Bad_Id, asia)' },
      { path: 'prompt.template', message: 'must contain {region_name}' },
      { path: 'regions.Bad_Id', message: 'region id "Bad_Id" must match ^[a-z0-9][a-z0-9-]*$' },
      { path: 'regions.asia.apiKeyEnv', message: 'must be an environment variable name' },
      { path: 'regions.eu-west.baseUrl', message: 'must be an http(s) URL' },
      { path: 'regions.eu-west.concurrency', message: 'must be an integer between 1 and 1024' },
      { path: 'regions.eu-west.timeoutMs', message: 'must be an integer between 1 and 3600000' },
    ]);
  });

  it('rejects unknown keys at the top level and inside sections', () => {
    const problems = problemsOf(['region:', region('x'), 'defaults: { temprature: 1 }'].join('\n'));
    expect(problems.map((p) => p.path)).toEqual(['defaults.temprature', 'region']);
    expect(problems[1]!.message).toBe(
      'unknown top-level key (known: regions, models, questions, questionsFile, prompt, defaults, limits, auth, server, signing, analysis, classifier, prices, notifications, transparency)',
    );
    expect(problems[0]!.message).toBe('unknown key (known: temperature, maxTokens, maxAttempts, repeats)');
  });

  it('rejects aliases that map to two regions or shadow another id, case-insensitively', () => {
    const problems = problemsOf(['regions:', region('north', ', aliases: [N, Up]'), region('south', ', aliases: [n, NORTH]')].join('\n'));
    expect(problems).toEqual([
      { path: 'regions.south.aliases[0]', message: 'alias "n" is also an alias of region "north"' },
      { path: 'regions.south.aliases[1]', message: 'alias "NORTH" shadows the id of region "north"' },
    ]);
  });

  it('rejects empty region and model maps', () => {
    expect(problemsOf('regions: {}\nmodels: {}').map((p) => p.path)).toEqual(['models', 'regions']);
  });

  it('reads inline questions and reports duplicates and bad entries', () => {
    const config = parseConfig('questions:\n  - { id: q1, text: "One?" }\n  - { id: q2, text: "Two?", category: c }\n', 'x', {});
    expect(config.questions).toEqual({ q1: { id: 'q1', text: 'One?', category: null }, q2: { id: 'q2', text: 'Two?', category: 'c' } });
    const problems = problemsOf(
      'questions:\n  - { id: q1, text: "One?" }\n  - { id: q1, text: "Again?" }\n  - { id: "bad id", text: "" }\n',
    );
    expect(problems).toEqual([
      { path: 'questions[1].id', message: 'duplicate question id "q1" (also at questions[0])' },
      { path: 'questions[2].id', message: 'must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' },
      { path: 'questions[2].text', message: 'must not be empty' },
    ]);
  });

  it('loads questionsFile relative to the config file', () => {
    mkdirSync(join(dir, 'bank'), { recursive: true });
    writeFileSync(
      join(dir, 'bank', 'questions.json'),
      JSON.stringify({ version: 'v', questions: [{ id: 'only', category: 'control', text: 'Only one?' }] }),
    );
    const config = parseConfig('questionsFile: ./bank/questions.json\n', join(dir, 'beacon.config.yaml'), {});
    expect(config.questions).toEqual({ only: { id: 'only', text: 'Only one?', category: 'control' } });
  });

  it('loads questionsFile as CSV or JSON Lines by extension, keeping each language', () => {
    writeFileSync(join(dir, 'set.csv'), 'id,text,category,language\r\nq1,"One, really?",politics,zh-Hans\r\nq2,Two?,,\r\n');
    writeFileSync(
      join(dir, 'set.jsonl'),
      '{"id":"q1","text":"One, really?","category":"politics","language":"zh-Hans"}\n{"id":"q2","text":"Two?"}\n',
    );
    const expected = {
      q1: { id: 'q1', text: 'One, really?', category: 'politics', language: 'zh-Hans' },
      q2: { id: 'q2', text: 'Two?', category: null },
    };
    expect(parseConfig('questionsFile: set.csv', join(dir, 'beacon.config.yaml'), {}).questions).toEqual(expected);
    expect(parseConfig('questionsFile: set.jsonl', join(dir, 'beacon.config.yaml'), {}).questions).toEqual(expected);
  });

  it('reports every problem of a CSV questionsFile by row and column, and keeps no question of it', () => {
    writeFileSync(join(dir, 'bad.csv'), 'id,text\nq1,One?\nq2,\nq1,Again?\n');
    expect(problemsOf('questionsFile: bad.csv', join(dir, 'beacon.config.yaml'))).toEqual([
      { path: 'questionsFile', message: 'bad.csv: row 3, column text: must not be empty' },
      { path: 'questionsFile', message: 'bad.csv: row 4, column id: duplicate id "q1" (also at row 2)' },
    ]);
  });

  it('reports a missing or malformed questionsFile, and questions given twice', () => {
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ questions: [{ id: 'a', text: 'A?' }, { id: 'b' }] }));
    const source = join(dir, 'beacon.config.yaml');
    expect(problemsOf('questionsFile: broken.json', source)).toEqual([{ path: 'questionsFile.questions[1].text', message: 'is required' }]);
    const missing = problemsOf('questionsFile: nowhere.json', source);
    expect(missing.map((p) => p.path)).toEqual(['questionsFile']);
    expect(missing[0]!.message).toContain(join(dir, 'nowhere.json'));
    expect(problemsOf('questionsFile: broken.json\nquestions: []', source)).toEqual([
      { path: 'questionsFile', message: 'give either questions or questionsFile, not both' },
    ]);
  });

  it('substitutes ${NAME} from env and reports unset variables', () => {
    const text = ['regions:', '  r1: { displayName: "${R1_NAME:-Region one}", baseUrl: "${R1_URL}", apiKeyEnv: R1_KEY }'].join('\n');
    const config = parseConfig(text, 'x', { R1_URL: 'https://r1.example/v1' });
    expect(config.regions.r1!.baseUrl).toBe('https://r1.example/v1');
    expect(config.regions.r1!.displayName).toBe('Region one');
    expect(problemsOf(text, 'x', {})).toContainEqual({ path: 'regions.r1.baseUrl', message: 'environment variable R1_URL is not set' });
  });

  it('reports YAML syntax errors with their line, and a non-mapping document', () => {
    const problems = problemsOf('regions:\n  a: 1\n  a: 2\n');
    expect(problems[0]!.path).toBe('line 3:3');
    expect(problems[0]!.message).toContain('unique');
    expect(problemsOf('- just\n- a list\n')).toEqual([{ path: '(root)', message: 'must be a mapping of sections, not a list' }]);
  });

  it('throws a ConfigError whose message lists every problem with the source', () => {
    expect(() => parseConfig('bogus: 1\nlimits: { maxBodyBytes: 0 }', 'conf.yaml', {})).toThrow(
      'conf.yaml: bogus: unknown top-level key (known: regions, models, questions, questionsFile, prompt, defaults, limits, auth, server, signing, analysis, classifier, prices, notifications, transparency)\n' +
        'conf.yaml: limits.maxBodyBytes: must be a positive integer',
    );
  });
});
