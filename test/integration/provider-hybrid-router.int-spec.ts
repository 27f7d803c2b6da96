import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyFailure, openAiProvider, type ProviderConfig } from '@beacon/domain';
import { HttpChatProvider, type ChatFailure, type ChatRequest, type ChatSuccess } from '@beacon/engine';
import type { FakeServer } from '../utils/fakes/fake-http.js';
import { start } from '../utils/fakes/hybrid-router-fake.js';

/**
 * The hybrid-router adapter through the real transport, over real HTTP, against a fake of the old runner's router.
 * Shape assumed (router source `Website/hybrid_router/models/requests.py`, `core/router.py`; go-runner research §4):
 * in `{model, prompt, temperature, max_tokens, region_preference, cost_priority}`, out HTTP 200
 * `{success, response, error, error_code, failure{code, transient, http_status, …}, provider_used, inference_time,
 * cost_estimate, metadata{region, model, receipt{execution_details{region, model}, output{tokens_generated}}}}`.
 */
describe('Hybrid router provider', () => {
  let fake: FakeServer;
  const http = new HttpChatProvider(4);

  beforeAll(async () => {
    fake = await start();
  });
  afterAll(async () => {
    await http.close();
    await fake.close();
  });

  const router = (base: string): ProviderConfig => ({ ...openAiProvider(base, null), kind: 'hybrid-router' });
  const call = (scenario: string, opts: { regionId?: string; apiKey?: string | null; timeoutMs?: number; base?: string } = {}) => {
    const base = opts.base ?? fake.url;
    return http.chat({
      baseUrl: base,
      apiKey: opts.apiKey ?? null,
      model: 'llama3.2-1b',
      system: 'You are a helpful, honest, and harmless AI assistant based in Europe.',
      user: `What is the capital of France? [scenario:${scenario}]`,
      temperature: 0.1,
      maxTokens: 500,
      timeoutMs: opts.timeoutMs ?? 5000,
      signal: new AbortController().signal,
      provider: router(base),
      ...(opts.regionId === undefined ? { regionId: 'eu-west' } : opts.regionId ? { regionId: opts.regionId } : {}),
    } satisfies ChatRequest);
  };
  const failed = (r: ChatSuccess | ChatFailure): ChatFailure => {
    if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
    return r;
  };

  it('posts the runner’s body to /inference, system and user in its prompt format, the region as region_preference', async () => {
    const r = await call('success');
    expect(r).toMatchObject({
      ok: true,
      status: 200,
      content: 'Paris is the capital of France.',
      finishReason: null,
      inputTokens: null,
      outputTokens: 9,
      responseModel: 'llama3.2-1b',
      regionObserved: 'eu-west',
      usage: { tokens_generated: 9, inference_time: 2.31, provider_used: 'modal-eu-west' },
    });
    const seen = fake.requests.at(-1)!;
    expect(seen.url).toBe('/inference');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.body).toEqual({
      model: 'llama3.2-1b',
      prompt:
        'system\nYou are a helpful, honest, and harmless AI assistant based in Europe.\nuser\nWhat is the capital of France? [scenario:success]\nassistant\n',
      temperature: 0.1,
      max_tokens: 500,
      region_preference: 'eu-west',
      cost_priority: false,
    });
  });

  it('records where the router says it served, even when that is not the region asked for', async () => {
    expect(await call('fallback', { regionId: 'us-east' })).toMatchObject({ ok: true, regionObserved: 'eu-west' });
    expect(fake.requests.at(-1)!.body).toMatchObject({ region_preference: 'us-east' });
  });

  it('without a region the key is left out (the router picks, and says which); a region it has no provider for is retryable', async () => {
    expect(await call('success', { regionId: '' })).toMatchObject({ ok: true, regionObserved: 'us-east' });
    expect(fake.requests.at(-1)!.body).not.toHaveProperty('region_preference');
    const r = failed(await call('success', { regionId: 'asia-pacific' }));
    expect(r).toMatchObject({
      status: 200,
      regionObserved: null,
      failure: { kind: 'http', status: 503, message: 'HTTP 200: PROVIDER_UNAVAILABLE: No healthy providers available' },
    });
    expect(classifyFailure(r.failure)).toBe('retryable');
  });

  it('success:false follows failure.transient: a Modal 5xx is retryable, a Modal 4xx final', async () => {
    const transient = failed(await call('modal-5xx'));
    expect(transient).toMatchObject({
      regionObserved: 'eu-west',
      failure: { kind: 'http', status: 503, message: expect.stringContaining('PROVIDER_HTTP_503') },
    });
    expect(classifyFailure(transient.failure)).toBe('retryable');
    const final = failed(await call('modal-4xx'));
    expect(final.failure).toMatchObject({ kind: 'http', status: 400, message: expect.stringContaining('PROVIDER_HTTP_400') });
    expect(classifyFailure(final.failure)).toBe('final');
  });

  it('HTTP errors: 500, a gateway 502 and 429 (paced by Retry-After) are retryable; 404 on another path is final', async () => {
    for (const [scenario, status] of [
      ['internal', 500],
      ['gateway-502', 502],
    ] as const) {
      const r = failed(await call(scenario));
      expect(r.failure).toMatchObject({ kind: 'http', status });
      expect(classifyFailure(r.failure)).toBe('retryable');
    }
    const limited = failed(await call('rate-limit'));
    expect(limited.failure).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 4000, message: 'HTTP 429: Too Many Requests' });
    expect(classifyFailure(limited.failure)).toBe('retryable');
    const missing = failed(await call('success', { base: `${fake.url}/api/v2` }));
    expect(missing.failure).toMatchObject({ kind: 'http', status: 404, message: 'HTTP 404: Not Found' });
    expect(classifyFailure(missing.failure)).toBe('final');
  });

  it('a 200 that is not JSON is a final invalid_response', async () => {
    const r = failed(await call('invalid-json'));
    expect(r.failure).toMatchObject({ kind: 'invalid_response', message: 'response is not a JSON object' });
    expect(classifyFailure(r.failure)).toBe('final');
  });

  it('no answer within the timeout is a retryable timeout', async () => {
    const r = failed(await call('hang', { timeoutMs: 300 }));
    expect(r.failure).toMatchObject({ kind: 'timeout' });
    expect(classifyFailure(r.failure)).toBe('retryable');
  });

  it('the key (sent as a bearer) never comes back in any field when the router echoes it', async () => {
    const key = 'router-gateway-key-0a1b2c3d4e5f';
    const r = failed(await call('echo-key', { apiKey: key }));
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${key}`);
    expect(r.failure.message).toContain('bad auth Bearer ');
    expect(JSON.stringify(r)).not.toContain(key);
  });
});
