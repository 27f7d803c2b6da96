import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../problems/config.error.js';
import type { Problem } from '../problems/problem.js';
import { parseConfig } from '../config/config.parser.js';
import { openAiProvider } from './provider-config.js';

function problemsOf(text: string): Problem[] {
  try {
    parseConfig(text, 'beacon.config.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('regions.<id>.provider', () => {
  it('reads a provider of each kind, with the region baseUrl and apiKeyEnv taken from it', () => {
    const config = parseConfig(
      [
        'regions:',
        '  us-east: { displayName: the US, provider: { kind: anthropic, baseUrl: "https://api.anthropic.com/v1", apiKeyEnv: ANTHROPIC_API_KEY } }',
        '  eu-west: { displayName: Europe, provider: { kind: bedrock, baseUrl: "https://bedrock-runtime.eu-west-1.amazonaws.com", awsRegion: eu-west-1,',
        '             accessKeyIdEnv: AWS_ACCESS_KEY_ID, apiKeyEnv: AWS_SECRET_ACCESS_KEY, observedRegions: [eu-west-1], requestsPerMinute: 60 } }',
        '  asia-pacific: { displayName: Asia, baseUrl: "http://127.0.0.1:11434", provider: { kind: ollama } }',
      ].join('\n'),
      'x',
      {},
    );
    expect(config.regions['us-east']).toMatchObject({
      baseUrl: 'https://api.anthropic.com/v1',
      apiKeyEnv: 'ANTHROPIC_API_KEY',
      provider: { kind: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', apiKeyEnv: 'ANTHROPIC_API_KEY', apiVersion: null },
    });
    expect(config.regions['eu-west']!.provider).toMatchObject({
      kind: 'bedrock',
      awsRegion: 'eu-west-1',
      accessKeyIdEnv: 'AWS_ACCESS_KEY_ID',
      observedRegions: ['eu-west-1'],
      requestsPerMinute: 60,
      tokensPerMinute: null,
    });
    // The provider's baseUrl falls back to the region's.
    expect(config.regions['asia-pacific']!.provider).toEqual({ ...openAiProvider('http://127.0.0.1:11434', null), kind: 'ollama' });
  });

  it('names the field of every provider problem at once', () => {
    const problems = problemsOf(
      [
        'regions:',
        '  a: { displayName: A, provider: { kind: palm, baseUrl: "http://x" } }',
        '  b: { displayName: B, provider: { kind: bedrock, baseUrl: "https://b.example" } }',
        '  c: { displayName: C }',
        '  d: { displayName: D, baseUrl: "http://d", provider: { kind: openai, awsRegion: "Mars", regionHeader: "x y", secret: 1 } }',
      ].join('\n'),
    );
    const paths = problems.map((p) => p.path);
    expect(problems.find((p) => p.path === 'regions.a.provider.kind')?.message).toMatch(/must be one of openai, anthropic, gemini/);
    expect(paths).toEqual(
      expect.arrayContaining([
        'regions.b.provider.awsRegion',
        'regions.b.provider.accessKeyIdEnv',
        'regions.b.provider.apiKeyEnv',
        'regions.c.baseUrl',
        'regions.d.provider.awsRegion',
        'regions.d.provider.regionHeader',
      ]),
    );
    expect(problems.some((p) => p.path.startsWith('regions.d.provider') && /secret/.test(p.path + p.message))).toBe(true);
  });

  it('reads a fallback chain of other regions and other providers, and names a bad step', () => {
    const config = parseConfig(
      [
        'regions:',
        '  us-east: { displayName: US, baseUrl: "http://a/v1", fallbacks: [ { provider: { kind: azure-openai, baseUrl: "https://az.example", deployment: d } }, { region: eu-west } ] }',
        '  eu-west: { displayName: EU, baseUrl: "http://b/v1" }',
      ].join('\n'),
      'x',
      {},
    );
    expect(config.regions['us-east']!.fallbacks).toEqual([
      { kind: 'provider', provider: { ...openAiProvider('https://az.example', null), kind: 'azure-openai', deployment: 'd' } },
      { kind: 'region', region: 'eu-west' },
    ]);
    expect(config.regions['eu-west']!.fallbacks).toEqual([]);
    const problems = problemsOf(
      [
        'regions:',
        '  a: { displayName: A, baseUrl: "http://a", fallbacks: [ { region: a }, { region: nowhere }, { provider: { kind: ollama } }, { both: 1 } ] }',
      ].join('\n'),
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['regions.a.fallbacks[0].region', 'regions.a.fallbacks[1].region', 'regions.a.fallbacks[2].provider.baseUrl']),
    );
    expect(problems.find((p) => p.path === 'regions.a.fallbacks[1].region')?.message).toMatch(/unknown region "nowhere"/);
    expect(problems.some((p) => p.path.startsWith('regions.a.fallbacks[3]'))).toBe(true);
  });
});
