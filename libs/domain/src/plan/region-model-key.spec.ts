import { describe, expect, it } from '@jest/globals';
import { regionModelKey, splitRegionModelKey } from './region-model-key.js';

describe(regionModelKey.name, () => {
  it('makes one key per pair and splits it back', () => {
    const key = regionModelKey('eu-west', 'llama3.2-1b');
    expect(key).toBe('eu-west|llama3.2-1b');
    expect(splitRegionModelKey(key)).toEqual({ region: 'eu-west', modelId: 'llama3.2-1b' });
    expect(regionModelKey('eu-west', 'a')).not.toBe(regionModelKey('eu-wes', 'ta'));
  });

  it('keeps a model id holding the separator whole', () => {
    expect(splitRegionModelKey(regionModelKey('us-east', 'org|model'))).toEqual({ region: 'us-east', modelId: 'org|model' });
  });

  it('is not made from a plain string', () => {
    // @ts-expect-error a key comes from regionModelKey only
    expect(splitRegionModelKey('eu-west|m')).toEqual({ region: 'eu-west', modelId: 'm' });
  });
});
