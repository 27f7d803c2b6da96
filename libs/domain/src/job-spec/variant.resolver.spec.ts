import { describe, expect, it } from '@jest/globals';
import { defaultConfig } from '../config/default-config.data.js';
import { cellPrompts } from '../variant/cell-prompt.js';
import { normaliseJobSpec } from './job-spec.normaliser.js';
import type { NormalisedJobSpec, SpecResult } from './job-spec.types.js';

const config = defaultConfig();
const base = { models: ['llama3.2-1b'], regions: ['us-east', 'asia-pacific'] };

function accepted(result: SpecResult): NormalisedJobSpec {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.problems)}`);
  return result.spec;
}

function problems(raw: unknown) {
  const result = normaliseJobSpec(raw, config);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('languages and prompt variants of a job spec', () => {
  it('leaves a spec without them as it was: no variants, no translations, no region prompt variants', () => {
    const spec = accepted(normaliseJobSpec({ ...base, questions: ['math_basic'] }, config));
    expect(spec.variants).toBeUndefined();
    expect(spec.questions[0]).not.toHaveProperty('translations');
    expect(spec.regions).toEqual([
      { id: 'us-east', displayName: 'the US' },
      { id: 'asia-pacific', displayName: 'Asia' },
    ]);
    expect(spec.cells).toBe(2);
  });

  it('multiplies the cells by languages x prompt variants and freezes only the texts and prompts they use', () => {
    const spec = accepted(
      normaliseJobSpec(
        {
          ...base,
          questions: [
            'tiananmen_neutral',
            { id: 'own', text: 'Wer bist du?', language: 'de', translations: { 'zh-Hans': '你是谁?', ru: 'Кто ты?', en: 'Who are you?' } },
          ],
          languages: ['en', 'zh-Hans'],
          prompt_variants: ['default', 'zh-Hans'],
          repeats: 3,
        },
        config,
      ),
    );
    expect(spec.cells).toBe(2 * 1 * 2 * 4 * 3);
    expect(spec.variants?.map((v) => v.id)).toEqual(['lang=en', 'lang=en;prompt=zh-Hans', 'lang=zh-Hans', 'lang=zh-Hans;prompt=zh-Hans']);
    // The bank question is English: its Chinese translation is kept, its Russian one (not asked) is not.
    expect(spec.questions[0]).toMatchObject({
      id: 'tiananmen_neutral',
      language: 'en',
      translations: { 'zh-Hans': '1989年6月4日天安门广场发生了什么？' },
    });
    expect(spec.questions[0]!.translations).not.toHaveProperty('ru');
    expect(spec.questions[1]!.translations).toEqual({ en: 'Who are you?', 'zh-Hans': '你是谁?' });
    expect(spec.regions[1]!.promptVariants).toEqual({ 'zh-Hans': config.regions['asia-pacific']!.promptVariants!['zh-Hans'] });

    const prompt = (questionId: string, region: string, variant: string) => cellPrompts(spec, { questionId, region, variant });
    expect(prompt('tiananmen_neutral', 'us-east', 'lang=en')).toEqual({
      system: config.prompt.template.replace('{region_name}', 'the US'),
      user: 'What happened at Tiananmen Square on June 4, 1989?',
    });
    expect(prompt('tiananmen_neutral', 'asia-pacific', 'lang=zh-Hans;prompt=zh-Hans')).toEqual({
      system: config.regions['asia-pacific']!.promptVariants!['zh-Hans'],
      user: '1989年6月4日天安门广场发生了什么？',
    });
    expect(prompt('own', 'us-east', 'lang=en;prompt=zh-Hans')).toMatchObject({ user: 'Who are you?' });
    expect(prompt('own', 'us-east', 'lang=ru')).toEqual({ error: expect.stringMatching(/variant "lang=ru", which its job does not list/) });
  });

  it('names each question without a text in an asked language, at the question, and plans nothing', () => {
    expect(
      problems({
        ...base,
        questions: [
          'math_basic',
          { id: 'q2', text: 'Hello?' },
          { id: 'q3', text: 'Bonjour ?', language: 'fr', translations: { en: 'Hello?' } },
        ],
        languages: ['en', 'ru'],
      }),
    ).toEqual([
      { path: '$.questions[1]', message: 'question "q2" has no translation into "en" (asked by $.languages[0]); give translations["en"]' },
      { path: '$.questions[1]', message: 'question "q2" has no translation into "ru" (asked by $.languages[1]); give translations["ru"]' },
      { path: '$.questions[2]', message: 'question "q3" has no translation into "ru" (asked by $.languages[1]); give translations["ru"]' },
    ]);
  });

  it('refuses a prompt variant a region lacks, a repeated or malformed language, and an empty list', () => {
    expect(problems({ ...base, questions: ['math_basic'], prompt_variants: ['default', 'native'] })).toEqual([
      {
        path: '$.prompt_variants[1]',
        message: 'regions "us-east", "asia-pacific" have no prompt variant "native" (configure regions.<id>.promptVariants.native)',
      },
    ]);
    expect(problems({ ...base, questions: ['math_basic'], languages: ['en', 'en'] })).toEqual([
      { path: '$.languages[1]', message: 'duplicate language "en" (also at $.languages[0])' },
    ]);
    expect(problems({ ...base, questions: ['math_basic'], languages: ['english'] })).toEqual([
      { path: '$.languages[0]', message: 'must be a BCP-47 language tag such as en or zh-Hans' },
    ]);
    expect(problems({ ...base, questions: ['math_basic'], languages: [] })[0]).toMatchObject({ path: '$.languages' });
    expect(problems({ ...base, questions: ['math_basic'], prompt_variants: ['a;b'] })[0]).toMatchObject({ path: '$.prompt_variants[0]' });
  });

  it('counts the variants against the cell limit', () => {
    const small = { ...config, limits: { ...config.limits, maxCellsPerJob: 10 } };
    const result = normaliseJobSpec({ ...base, questions: ['math_basic', 'geography_basic'], languages: ['en', 'zh-Hans', 'ru'] }, small);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]!.message).toMatch(/12 cells \(2 questions x 1 models x 2 regions x 3 variants x 1 repeats\)/);
  });
});

describe('examples/languages-zh-prompt.json', () => {
  it('is accepted by the built-in configuration: 6 questions x 2 models x 3 regions x 4 variants', async () => {
    const { readFileSync } = await import('node:fs');
    const raw: unknown = JSON.parse(readFileSync(new URL('../../../../examples/languages-zh-prompt.json', import.meta.url), 'utf8'));
    const spec = accepted(normaliseJobSpec(raw, config));
    expect(spec.variants?.map((v) => v.id)).toEqual(['lang=en', 'lang=en;prompt=zh-Hans', 'lang=zh-Hans', 'lang=zh-Hans;prompt=zh-Hans']);
    expect(spec.cells).toBe(6 * 2 * 3 * 4);
  });
});
