import { describe, expect, it } from '@jest/globals';
import { defaultConfig } from '../config/default-config.data.js';
import { normaliseJobSpec } from '../job-spec/job-spec.normaliser.js';
import { planAxes } from './plan.js';

describe(planAxes.name, () => {
  it('lists the axes in spec order with canonical regions and the repeat count', () => {
    const result = normaliseJobSpec(
      {
        questions: ['taiwan_status', { id: 'own', text: 'Own?' }],
        models: ['mistral-7b', 'llama3.2-1b'],
        regions: ['APAC', 'US'],
        repeats: 4,
      },
      defaultConfig(),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(planAxes(result.spec)).toEqual({
      questionIds: ['taiwan_status', 'own'],
      modelIds: ['mistral-7b', 'llama3.2-1b'],
      regions: ['asia-pacific', 'us-east'],
      variants: [''],
      repeats: 4,
    });
  });

  it('lists each language with each prompt variant, languages outer, as the variant axis', () => {
    const result = normaliseJobSpec(
      {
        questions: ['taiwan_status'],
        models: ['mistral-7b'],
        regions: ['US', 'EU'],
        languages: ['en', 'zh-Hans'],
        prompt_variants: ['default', 'ru'],
        repeats: 2,
      },
      defaultConfig(),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(planAxes(result.spec).variants).toEqual(['lang=en', 'lang=en;prompt=ru', 'lang=zh-Hans', 'lang=zh-Hans;prompt=ru']);
    expect(result.spec.cells).toBe(1 * 1 * 2 * 4 * 2);
  });
});
