import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../config/config.parser.js';
import { defaultConfig } from '../config/default-config.data.js';
import type { Problem } from '../problems/problem.js';
import { normaliseJobSpec } from './job-spec.normaliser.js';

const config = defaultConfig();
const valid = { questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] };

function problemsOf(raw: unknown, with_ = config): Problem[] {
  const result = normaliseJobSpec(raw, with_);
  if (result.ok) throw new Error('expected the spec to be rejected');
  return result.problems;
}

const atPath = (problems: Problem[], path: string) => problems.filter((p) => p.path === path).map((p) => p.message);

describe(normaliseJobSpec.name, () => {
  it.each([null, [], 'spec', 42])('rejects a body that is not an object (%p) with one problem at $', (raw) => {
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('$');
  });

  it('names unknown regions, models and questions with the known values', () => {
    const problems = problemsOf({ questions: ['math_basic', 'nope'], models: ['gpt-9'], regions: ['mars'] });
    expect(atPath(problems, '$.regions[0]')).toEqual(['unknown region "mars" (known: us-east, eu-west, asia-pacific)']);
    expect(atPath(problems, '$.models[0]')).toEqual(['unknown model "gpt-9" (known: llama3.2-1b, qwen2.5-1.5b, mistral-7b)']);
    expect(atPath(problems, '$.questions[1]')).toEqual(['unknown question "nope"']);
  });

  it('does not take inherited object members for configured ids', () => {
    const problems = problemsOf({ questions: ['constructor'], models: ['toString'], regions: ['__proto__'] });
    expect(problems.map((p) => p.message)).toEqual([
      'unknown model "toString" (known: llama3.2-1b, qwen2.5-1.5b, mistral-7b)',
      'unknown question "constructor"',
      'unknown region "__proto__" (known: us-east, eu-west, asia-pacific)',
    ]);
  });

  it('hints that free text is not a question id', () => {
    const problems = problemsOf({ ...valid, questions: ['What is 2+2?'] });
    expect(atPath(problems, '$.questions[0]')).toEqual(['unknown question "What is 2+2?" (inline questions are objects {id, text})']);
  });

  it('rejects a model asked in a region that does not serve it, at the model entry', () => {
    const partial = parseConfig(
      [
        'regions:',
        '  us-east: { displayName: the US, baseUrl: "http://127.0.0.1:9/us/v1" }',
        '  eu-west: { displayName: Europe, baseUrl: "http://127.0.0.1:9/eu/v1" }',
        'models:',
        '  small: {}',
        '  big: { regions: [us-east] }',
      ].join('\n'),
      'partial.yaml',
    );
    const problems = problemsOf({ ...valid, models: ['small', 'big'], regions: ['us-east', 'eu-west'] }, partial);
    expect(problems).toEqual([{ path: '$.models[1]', message: 'model "big" is not served in region "eu-west" (served in: us-east)' }]);
    expect(normaliseJobSpec({ ...valid, models: ['small', 'big'], regions: ['us-east'] }, partial).ok).toBe(true);
  });

  it('reports duplicates after canonicalisation, at the later entry', () => {
    const problems = problemsOf({
      questions: ['math_basic', { id: 'q1', text: 'Q?' }, { id: 'q1', text: 'Other?' }, 'math_basic'],
      models: ['llama3.2-1b', { id: 'llama3.2-1b', name: 'Llama' }],
      regions: ['us-east', 'EU', 'US', 'eu-west'],
    });
    expect(atPath(problems, '$.regions[2]')).toEqual(['duplicate region "us-east" (also at $.regions[0])']);
    expect(atPath(problems, '$.regions[3]')).toEqual(['duplicate region "eu-west" (also at $.regions[1])']);
    expect(atPath(problems, '$.models[1]')).toEqual(['duplicate model "llama3.2-1b" (also at $.models[0])']);
    expect(atPath(problems, '$.questions[2]')).toEqual(['duplicate question "q1" (also at $.questions[1])']);
    expect(atPath(problems, '$.questions[3]')).toEqual(['duplicate question "math_basic" (also at $.questions[0])']);
  });

  it('reports duplicates in a Go spec at its constraints path', () => {
    const problems = problemsOf({
      benchmark: { name: 'b' },
      constraints: { regions: ['us-east', 'US'] },
      metadata: { models: ['llama3.2-1b'] },
      questions: ['math_basic'],
    });
    expect(problems).toEqual([
      { path: '$.constraints.regions[1]', message: 'duplicate region "us-east" (also at $.constraints.regions[0])' },
    ]);
  });

  it('reports each missing axis of an empty matrix', () => {
    expect(problemsOf({})).toEqual([
      { path: '$.models', message: 'no models' },
      { path: '$.questions', message: 'no questions: give questions or benchmark.input.data.prompt' },
      { path: '$.regions', message: 'no regions' },
    ]);
    const go = problemsOf({ benchmark: { name: 'b' }, constraints: { regions: [] }, questions: [] });
    expect(go.map((p) => p.path)).toEqual(['$.constraints.regions', '$.metadata.models', '$.questions']);
  });

  it('points into the portal wrapper', () => {
    const problems = problemsOf({
      jobspec: { metadata: { models: ['llama3.2-1b'] }, questions: ['math_basic', 'x y', 'math_basic'] },
      target_regions: ['US', 'moon'],
    });
    expect(problems.map((p) => p.path)).toEqual(['$.jobspec.questions[1]', '$.jobspec.questions[2]', '$.target_regions[1]']);
    expect(problemsOf({ jobspec: null })).toEqual([{ path: '$.jobspec', message: 'must be an object (the Go runner job spec)' }]);
  });

  it('rejects wrong types and out-of-range values with the path and expected type', () => {
    const problems = problemsOf({
      ...valid,
      repeats: 1.5,
      max_attempts: 21,
      parameters: { temperature: '0.1', max_tokens: 0 },
      constraints: { min_regions: -1, min_success_rate: 1.2, timeout_ms: 'soon' },
      created_at: 'yesterday',
    });
    expect(problems).toEqual([
      { path: '$.constraints.min_regions', message: 'must be an integer >= 1' },
      { path: '$.constraints.min_success_rate', message: 'must be a number between 0 and 1' },
      { path: '$.constraints.timeout_ms', message: 'must be a positive integer' },
      { path: '$.created_at', message: 'must be an RFC 3339 timestamp' },
      { path: '$.max_attempts', message: 'must be an integer between 1 and 20' },
      { path: '$.parameters.max_tokens', message: 'must be an integer between 1 and 1000000' },
      { path: '$.parameters.temperature', message: 'must be a number between 0 and 2' },
      { path: '$.repeats', message: 'must be an integer between 1 and 1000' },
    ]);
    expect(atPath(problemsOf({ ...valid, regions: 'us-east' }), '$.regions')).toEqual(['must be a list, not a string']);
    expect(atPath(problemsOf({ ...valid, constraints: [] }), '$.constraints')).toEqual(['must be an object, not a list']);
    expect(atPath(problemsOf({ ...valid, questions: [{ id: 'q', text: '' }] }), '$.questions[0].text')).toEqual(['must not be empty']);
    expect(atPath(problemsOf({ ...valid, models: [7] }), '$.models[0]')).toEqual([
      'must be a model id or an object {id, name}, not a number',
    ]);
  });

  it('rejects min_regions above the number of regions', () => {
    expect(problemsOf({ ...valid, constraints: { min_regions: 2 } })).toEqual([
      { path: '$.constraints.min_regions', message: 'must be at most the number of regions (1)' },
    ]);
  });

  it('rejects a matrix larger than the configured limit, naming the number', () => {
    const limited = { ...config, limits: { ...config.limits, maxCellsPerJob: 100 } };
    const problems = problemsOf(
      {
        ...valid,
        questions: Object.keys(config.questions),
        models: Object.keys(config.models),
        regions: ['us-east', 'eu-west'],
        repeats: 3,
      },
      limited,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('$');
    expect(problems[0]!.message).toContain('144 cells');
    expect(problems[0]!.message).toContain('limit of 100');
  });

  it('rejects a bad id and an inline question id clashing with the bank', () => {
    expect(atPath(problemsOf({ ...valid, id: '-starts-with-dash' }), '$.id')).toEqual(['must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$']);
    expect(atPath(problemsOf({ ...valid, id: 'x'.repeat(129) }), '$.id')).toHaveLength(1);
    expect(atPath(problemsOf({ ...valid, id: 'has space' }), '$.id')).toHaveLength(1);
    const clash = problemsOf({ ...valid, questions: [{ id: 'math_basic', text: 'What is 3+3?' }] });
    expect(clash.map((p) => p.path)).toEqual(['$.questions[0].id']);
  });

  it('rejects regions or models given in two places that disagree', () => {
    const problems = problemsOf({
      ...valid,
      benchmark: { name: 'b' },
      constraints: { regions: ['eu-west'] },
      metadata: { models: ['llama3.2-1b'] },
    });
    expect(atPath(problems, '$.regions')).toEqual(['disagrees with $.constraints.regions; give the list in one place']);
    const agreeing = { ...valid, benchmark: { name: 'b' }, constraints: { regions: ['US'] }, metadata: { models: ['llama3.2-1b'] } };
    expect(normaliseJobSpec(agreeing, config).ok).toBe(true);
  });

  it('reports every problem at once, sorted by path', () => {
    const problems = problemsOf({
      id: 'bad id',
      questions: Array.from({ length: 12 }, (_, i) => (i === 2 || i === 10 ? `missing-${i}` : { id: `q${i}`, text: `Q${i}?` })),
      models: ['nope'],
      regions: ['mars', 'us-east', 'US'],
      repeats: 0,
    });
    expect(problems.map((p) => p.path)).toEqual([
      '$.id',
      '$.models[0]',
      '$.questions[2]',
      '$.questions[10]',
      '$.regions[0]',
      '$.regions[2]',
      '$.repeats',
    ]);
  });
});
