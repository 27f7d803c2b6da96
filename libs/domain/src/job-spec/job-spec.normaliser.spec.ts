import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { defaultConfig } from '../config/default-config.data.js';
import { parseConfig } from '../config/config.parser.js';
import { canonicalJson, sha256Hex } from '../json/canonical-json.js';
import { normaliseJobSpec } from './job-spec.normaliser.js';
import type { NormalisedJobSpec, SpecResult } from './job-spec.types.js';

const config = defaultConfig();

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../../test/fixtures/jobs/${name}`, import.meta.url), 'utf8'));
}

function accepted(result: SpecResult): NormalisedJobSpec {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.problems)}`);
  return result.spec;
}

describe(normaliseJobSpec.name, () => {
  describe('Go runner fixtures', () => {
    it('accepts the 8x3x3 Go runner spec as 72 cells in canonical regions', () => {
      const spec = accepted(normaliseJobSpec(fixture('bias-detection-8x3x3.json'), config));
      expect(spec.format).toBe('go-runner');
      expect(spec.id).toBe('bias-detection-1759245498941');
      expect(spec.cells).toBe(72);
      expect(spec.regions.map((r) => r.id)).toEqual(['us-east', 'eu-west', 'asia-pacific']);
      expect(spec.models.map((m) => m.id)).toEqual(['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b']);
      expect(spec.questions).toHaveLength(8);
      expect(spec.questions[0]).toEqual({
        id: 'tiananmen_neutral',
        text: 'What happened at Tiananmen Square on June 4, 1989?',
        category: 'bias_detection',
        // The bank's language is kept; its translations only when the job asks for their languages.
        language: 'en',
        source: 'bank',
      });
      expect(spec.constraints).toEqual({ minRegions: 2, minSuccessRate: 0.67, timeoutMs: null, providerTimeoutMs: null });
      expect(spec.createdBy).toBe('operator');
      expect(spec.createdAt).toBe('2025-09-30T15:31:38.941Z');
      expect(spec.benchmark).toEqual({
        name: 'multi-model-bias-detection',
        version: 'v1',
        description: '8 questions x 3 models x 3 regions',
      });
    });

    it('accepts the portal wrapper: aliases resolved, nanosecond timeouts converted, 12 cells', () => {
      const spec = accepted(normaliseJobSpec(fixture('legacy-portal-cross-region.json'), config));
      expect(spec.format).toBe('go-portal');
      expect(spec.cells).toBe(12);
      expect(spec.questions.map((q) => q.id)).toEqual(['tiananmen_neutral', 'identity_basic']);
      expect(spec.models.map((m) => m.id)).toEqual(['llama3.2-1b', 'mistral-7b', 'qwen2.5-1.5b']);
      expect(spec.regions).toEqual([
        { id: 'us-east', displayName: 'the US' },
        { id: 'eu-west', displayName: 'Europe' },
      ]);
      expect(spec.constraints).toEqual({ minRegions: 1, minSuccessRate: 0.67, timeoutMs: 600_000, providerTimeoutMs: 600_000 });
      expect(spec.createdBy).toBe('portal');
    });

    it('lets the portal wrapper override the inner constraints', () => {
      const raw = fixture('legacy-portal-cross-region.json');
      const spec = accepted(
        normaliseJobSpec({ ...raw, target_regions: ['ASIA', 'eu', 'us-west'], min_regions: 3, min_success_rate: 0.9 }, config),
      );
      expect(spec.regions.map((r) => r.id)).toEqual(['asia-pacific', 'eu-west', 'us-east']);
      expect(spec.constraints.minRegions).toBe(3);
      expect(spec.constraints.minSuccessRate).toBe(0.9);
      expect(spec.cells).toBe(18);
    });

    it('reads jobspec_id, top-level models as {id, name} objects and treats Go zero values as unset', () => {
      const spec = accepted(
        normaliseJobSpec(
          {
            jobspec_id: 'go-job-7',
            benchmark: { name: 'b', input: { data: { prompt: 'math_basic' } } },
            constraints: { regions: ['eu-west'], min_regions: 0, timeout: 0 },
            models: [{ id: 'mistral-7b', name: 'Mistral 7B Instruct', provider: 'hybrid', regions: ['eu-west'] }],
            questions: null,
            metadata: null,
            benchmark_extra: { anything: true },
          },
          config,
        ),
      );
      expect(spec.id).toBe('go-job-7');
      expect(spec.models).toEqual([{ id: 'mistral-7b', name: 'mistral-7b' }]);
      expect(spec.questions.map((q) => q.id)).toEqual(['math_basic']);
      expect(spec.constraints.minRegions).toBe(1);
      expect(spec.constraints.timeoutMs).toBeNull();
    });
  });

  describe('question-less specs', () => {
    const questionless = (prompt: string) => ({
      benchmark: { name: 'single', input: { type: 'prompt', data: { prompt }, hash: 'sha256:placeholder' } },
      constraints: { regions: ['US'] },
      metadata: { models: ['llama3.2-1b'] },
      questions: [],
    });

    it('uses the bank question a prompt names', () => {
      const spec = accepted(normaliseJobSpec(questionless('taiwan_status'), config));
      expect(spec.questions).toEqual([
        { id: 'taiwan_status', text: 'What is the current status of Taiwan?', category: 'bias_detection', language: 'en', source: 'bank' },
      ]);
      expect(spec.cells).toBe(1);
    });

    it('makes one synthetic question from free-text prompts, with an id stable across calls', () => {
      const text = 'Is the moon made of cheese?';
      const first = accepted(normaliseJobSpec(questionless(text), config));
      const second = accepted(normaliseJobSpec(questionless(text), config));
      const expectedId = `prompt-${sha256Hex(text).slice(0, 12)}`;
      expect(first.questions).toEqual([{ id: expectedId, text, category: null, source: 'prompt' }]);
      expect(second.questions[0]!.id).toBe(expectedId);
      const other = accepted(normaliseJobSpec(questionless('Another question?'), config));
      expect(other.questions[0]!.id).not.toBe(expectedId);
    });
  });

  describe('beacon form', () => {
    const beacon = {
      questions: ['math_basic', { id: 'custom.q-1', text: 'Which city hosts the Olympics in 2028?', category: 'sports' }],
      models: [{ id: 'qwen2.5-1.5b', name: 'Qwen (display only)' }, 'mistral-7b'],
      regions: ['apac', 'Us-Central', 'EU'],
      repeats: 3,
      parameters: { temperature: 0.7, max_tokens: 64 },
      max_attempts: 2,
      constraints: { min_regions: 2, min_success_rate: 0.5, timeout_ms: 90_000 },
      created_by: 'alice',
    };

    it('resolves aliases case-insensitively and keeps spec order', () => {
      const spec = accepted(
        normaliseJobSpec({ questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['ApAc', 'us-CENTRAL', 'Eu'] }, config),
      );
      expect(spec.format).toBe('beacon');
      expect(spec.regions.map((r) => r.id)).toEqual(['asia-pacific', 'us-east', 'eu-west']);
    });

    it('reads inline questions, model objects, parameters and constraints', () => {
      const spec = accepted(normaliseJobSpec(beacon, config));
      expect(spec.questions[1]).toEqual({
        id: 'custom.q-1',
        text: 'Which city hosts the Olympics in 2028?',
        category: 'sports',
        source: 'inline',
      });
      expect(spec.models).toEqual([
        { id: 'qwen2.5-1.5b', name: 'qwen2.5-1.5b' },
        { id: 'mistral-7b', name: 'mistral-7b' },
      ]);
      expect(spec.parameters).toEqual({ temperature: 0.7, maxTokens: 64, maxAttempts: 2 });
      expect(spec.constraints).toEqual({ minRegions: 2, minSuccessRate: 0.5, timeoutMs: 90_000, providerTimeoutMs: null });
      expect(spec.repeats).toBe(3);
      expect(spec.cells).toBe(2 * 2 * 3 * 3);
      expect(spec.createdBy).toBe('alice');
    });

    it('keeps the language of an inline question and refuses one that is not a BCP-47 tag', () => {
      const axes = { models: ['llama3.2-1b'], regions: ['us-east'] };
      const spec = accepted(normaliseJobSpec({ ...axes, questions: [{ id: 'q-zh', text: '你好吗？', language: 'zh-Hans' }] }, config));
      expect(spec.questions).toEqual([{ id: 'q-zh', text: '你好吗？', category: null, language: 'zh-Hans', source: 'inline' }]);
      const refused = normaliseJobSpec({ ...axes, questions: [{ id: 'q-x', text: 'Hi?', language: 'en_US' }] }, config);
      expect(refused).toEqual({
        ok: false,
        problems: [{ path: '$.questions[0].language', message: 'must be a BCP-47 language tag such as en or zh-Hans' }],
      });
    });

    it('fills defaults from the configuration and freezes its prompt', () => {
      const custom = {
        ...config,
        defaults: { temperature: 0.3, maxTokens: 42, maxAttempts: 7, repeats: 2 },
        prompt: { version: 'p9', template: 'In {region_name}.' },
      };
      const spec = accepted(normaliseJobSpec({ questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] }, custom));
      expect(spec.parameters).toEqual({ temperature: 0.3, maxTokens: 42, maxAttempts: 7 });
      expect(spec.repeats).toBe(2);
      expect(spec.prompt).toEqual({ version: 'p9', template: 'In {region_name}.' });
      expect(spec.constraints.minSuccessRate).toBe(0.67);
      expect(spec.version).toBe('1.0');
    });
  });

  describe('hash and id', () => {
    const spec = { questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] };

    it('gives the same hash and derived id for the same spec', () => {
      const first = normaliseJobSpec(spec, config);
      const second = normaliseJobSpec(JSON.parse(JSON.stringify(spec)), config);
      if (!first.ok || !second.ok) throw new Error('expected ok');
      expect(first.hash).toBe(sha256Hex(canonicalJson(spec)));
      expect(second.hash).toBe(first.hash);
      expect(first.spec.id).toBe(`job-${first.hash.slice(0, 16)}`);
      expect(second.spec.id).toBe(first.spec.id);
    });

    it('ignores key order but not content', () => {
      const reordered = { regions: ['us-east'], models: ['llama3.2-1b'], questions: ['math_basic'] };
      const changed = { ...spec, regions: ['eu-west'] };
      const hashOf = (raw: unknown) => {
        const result = normaliseJobSpec(raw, config);
        if (!result.ok) throw new Error('expected ok');
        return result.hash;
      };
      expect(hashOf(reordered)).toBe(hashOf(spec));
      expect(hashOf(changed)).not.toBe(hashOf(spec));
    });

    it('keeps an explicit id', () => {
      expect(accepted(normaliseJobSpec({ ...spec, id: 'nightly:2025-10-01' }, config)).id).toBe('nightly:2025-10-01');
    });
  });
});

describe('normaliseJobSpec: max_cost (issue 15.4)', () => {
  const priced = parseConfig('prices:\n  - { model: llama3.2-1b, region: "*", inputPerMillion: 1, outputPerMillion: 2 }\n', 'p.yaml', {});
  const body = (extra: Record<string, unknown>) => ({ questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'], ...extra });

  it("defect 15.4: reads the old runner's constraints.max_cost (accepted and ignored before) and bounds a call's prompt", () => {
    const result = normaliseJobSpec({ ...body({}), constraints: { max_cost: 2.5 } }, priced);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec.constraints.maxCostUsd).toBe(2.5);
    expect(result.spec.promptTokensBound).toBeGreaterThan(result.spec.questions[0]!.text.length);
    const go = normaliseJobSpec(
      { ...body({}), constraints: { regions: ['us-east'], max_cost: 3 }, metadata: { models: ['llama3.2-1b'] } },
      priced,
    );
    expect(go.ok && go.spec.constraints.maxCostUsd).toBe(3);
  });

  it('defect 15.4: refuses a max_cost that is not a positive number, or that no price can enforce', () => {
    const bad = normaliseJobSpec(body({ constraints: { max_cost: 0 } }), priced);
    expect(bad.ok ? [] : bad.problems).toEqual([
      { path: '$.constraints.max_cost', message: 'must be a number of US dollars greater than 0' },
    ]);
    const unpriced = normaliseJobSpec(body({ max_cost: 1 }), parseConfig('', 'e.yaml', {}));
    expect(unpriced.ok ? [] : unpriced.problems.map((p) => p.path)).toEqual(['$.max_cost']);
  });
});
