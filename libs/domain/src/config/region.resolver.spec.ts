import { describe, expect, it } from '@jest/globals';
import { defaultConfig } from './default-config.data.js';
import { resolveRegion } from './region.resolver.js';

describe(resolveRegion.name, () => {
  const config = defaultConfig();

  it.each([
    ['us-east', 'us-east'],
    ['US', 'us-east'],
    ['Us-West', 'us-east'],
    ['EU', 'eu-west'],
    ['europe-WEST', 'eu-west'],
    ['ASIA-PACIFIC', 'asia-pacific'],
    ['apac', 'asia-pacific'],
  ])('resolves %s to %s', (name, id) => {
    expect(resolveRegion(config, name)).toBe(id);
  });

  it.each(['mars', '', 'us east', 'us-east '])('returns null for %p', (name) => {
    expect(resolveRegion(config, name)).toBeNull();
  });
});
