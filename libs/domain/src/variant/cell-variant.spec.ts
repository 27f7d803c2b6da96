import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LANGUAGE_TAG_PATTERN } from '../json/common.schema.js';
import { cellKeySql, cellKeyString, CELL_KEY_COLUMNS, crossRegionKeyString } from './cell-key.js';
import { DEFAULT_VARIANT, jobVariants, parseVariantId, PROMPT_VARIANT_PATTERN, variantId, variantLabel } from './cell-variant.js';

describe(variantId.name, () => {
  it('is the empty string for the default variant, so cells planned before variants keep their key', () => {
    expect(variantId(null, null)).toBe(DEFAULT_VARIANT);
    expect(variantId(null, 'default')).toBe('');
    expect(variantLabel('')).toBe('default');
  });

  it('names the language, then the prompt variant, each only when not the default', () => {
    expect(variantId('zh-Hans', null)).toBe('lang=zh-Hans');
    expect(variantId(null, 'native')).toBe('prompt=native');
    expect(variantId('zh-Hans', 'native')).toBe('lang=zh-Hans;prompt=native');
    expect(variantId('ru', 'default')).toBe('lang=ru');
  });

  it('reads back every id it makes, and nothing else', () => {
    const language = fc.stringMatching(LANGUAGE_TAG_PATTERN).filter((s) => s.length <= 20);
    const prompt = fc.stringMatching(PROMPT_VARIANT_PATTERN);
    fc.assert(
      fc.property(fc.option(language), fc.option(prompt), (l, p) => {
        const id = variantId(l, p);
        expect(parseVariantId(id)).toEqual({ id, language: l, prompt: p === 'default' ? null : p });
      }),
    );
    for (const bad of ['lang=', 'prompt=x;lang=en', 'lang=en;lang=ru', 'foo=bar', 'prompt=default', 'lang=en;', 'lang=a=b']) {
      expect(parseVariantId(bad)).toBeNull();
    }
  });
});

describe(jobVariants.name, () => {
  it('is the one default variant without languages or prompt variants', () => {
    expect(jobVariants(null, null)).toEqual([{ id: '', language: null, prompt: null }]);
  });

  it('crosses languages (outer) with prompt variants (inner), in the order given', () => {
    expect(jobVariants(['en', 'zh-Hans'], ['default', 'native']).map((v) => v.id)).toEqual([
      'lang=en',
      'lang=en;prompt=native',
      'lang=zh-Hans',
      'lang=zh-Hans;prompt=native',
    ]);
    expect(jobVariants(null, ['native']).map((v) => v.id)).toEqual(['prompt=native']);
  });
});

describe('the cell key', () => {
  it('is the unique index columns, with the variant before the replicate', () => {
    expect(CELL_KEY_COLUMNS).toEqual(['job_id', 'question_id', 'model_id', 'region', 'variant', 'replicate']);
    expect(cellKeySql('e')).toBe('e.job_id, e.question_id, e.model_id, e.region, e.variant, e.replicate');
  });

  it('tells cells of two variants apart, and never confuses parts that contain separators', () => {
    const a = { questionId: 'q', modelId: 'm', region: 'r', variant: '', replicate: 0 };
    expect(cellKeyString(a)).not.toBe(cellKeyString({ ...a, variant: 'lang=zh-Hans' }));
    expect(cellKeyString({ ...a, questionId: 'q|m', modelId: '' })).not.toBe(cellKeyString({ ...a, questionId: 'q', modelId: '|m' }));
    // Across regions a cell is compared with the same variant only.
    expect(crossRegionKeyString(a)).not.toBe(crossRegionKeyString({ ...a, variant: 'lang=ru' }));
  });
});
