import { describe, expect, it } from '@jest/globals';
import { matchesFilter, parseFilter } from './filter-query.js';

describe(parseFilter.name, () => {
  it('splits key=value fields from free words', () => {
    expect(parseFilter(' region=us-east  Refused model=a,b ')).toEqual({ fields: { region: 'us-east', model: 'a,b' }, words: ['refused'] });
  });

  it('fields must match exactly (commas are alternatives), words anywhere', () => {
    const rec = { region: 'us-east', model: 'qwen', classification: 'refused', job: 'bias-1' };
    expect(matchesFilter(parseFilter('region=us-east'), rec)).toBe(true);
    expect(matchesFilter(parseFilter('region=us'), rec)).toBe(false);
    expect(matchesFilter(parseFilter('model=mistral,qwen refus'), rec)).toBe(true);
    expect(matchesFilter(parseFilter('answered'), rec)).toBe(false);
    expect(matchesFilter(parseFilter('state=succeeded'), rec)).toBe(false);
  });
});
