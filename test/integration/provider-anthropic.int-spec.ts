import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { classifyFailure, openAiProvider, REDACTED, type ProviderConfig } from '@beacon/domain';
import { HttpChatProvider, type ChatFailure, type ChatRequest, type ChatSuccess } from '@beacon/engine';
import { ANTHROPIC_FAKE_KEY, start } from '../utils/fakes/anthropic-fake.js';
import type { RunningFake } from '../utils/fakes/fake-server.js';

/** The Anthropic adapter through the real transport, over real HTTP, against a fake of the Messages API. */
describe('Anthropic Messages provider over HTTP', () => {
  let fake: RunningFake;
  const provider = new HttpChatProvider(4);
  const config = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
    ...openAiProvider(fake.url, null),
    kind: 'anthropic',
    ...over,
  });

  beforeAll(async () => {
    fake = await start();
  });
  afterAll(async () => {
    await provider.close();
    await fake.close();
  });

  const call = (scenario: string, over: Partial<ChatRequest> = {}) =>
    provider.chat({
      baseUrl: fake.url,
      apiKey: ANTHROPIC_FAKE_KEY,
      model: 'claude-sonnet-4-5',
      system: 'You are an assistant based in Europe.',
      user: `Capital of France? scenario:${scenario}`,
      temperature: 0.3,
      maxTokens: 50,
      timeoutMs: 5000,
      signal: new AbortController().signal,
      provider: config(),
      ...over,
    });
  const success = (r: ChatSuccess | ChatFailure): ChatSuccess => {
    if (!r.ok) throw new Error(`expected a success, got ${r.failure.kind}: ${r.failure.message}`);
    return r;
  };
  const failure = (r: ChatSuccess | ChatFailure): ChatFailure => {
    if (r.ok) throw new Error(`expected a failure, got ${r.status}: ${r.content}`);
    return r;
  };

  it('sends the Messages request the API validates, and reads the answer, usage, request id, model and geo', async () => {
    const r = success(await call('ok'));
    expect(r).toMatchObject({
      status: 200,
      content: 'The capital of France is Paris.',
      finishReason: 'stop',
      inputTokens: 21,
      outputTokens: 9,
      responseModel: 'claude-sonnet-4-5',
      regionObserved: 'us',
      safety: null,
      usage: { input_tokens: 21, output_tokens: 9, inference_geo: 'us', service_tier: 'standard' },
    });
    expect(r.requestId).toMatch(/^req_fake\d{4}$/);
    const sent = fake.requests.at(-1)!;
    expect(sent.url).toBe('/v1/messages');
    expect(sent.headers).toMatchObject({ 'x-api-key': ANTHROPIC_FAKE_KEY, 'anthropic-version': '2023-06-01' });
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5',
      system: 'You are an assistant based in Europe.',
      messages: [{ role: 'user', content: 'Capital of France? scenario:ok' }],
      max_tokens: 50,
      temperature: 0.3,
    });
    expect(classifyResponse(r).label).toBe('answered');
  });

  it('clamps an OpenAI-range temperature to what Anthropic accepts instead of getting a 400', async () => {
    success(await call('ok', { temperature: 1.7 }));
    expect(fake.requests.at(-1)!.body).toMatchObject({ temperature: 1 });
  });

  it('sends the configured anthropic-version', async () => {
    success(await call('ok', { provider: config({ apiVersion: '2023-01-01' }) }));
    expect(fake.requests.at(-1)!.headers['anthropic-version']).toBe('2023-01-01');
  });

  it('reads max_tokens as length', async () => {
    expect(success(await call('max-tokens'))).toMatchObject({
      finishReason: 'length',
      content: 'The capital of France is',
      outputTokens: 50,
    });
  });

  it('falls back to the configured region header when the body has no inference_geo', async () => {
    const r = success(await call('no-geo', { provider: config({ regionHeader: 'X-Served-Region' }) }));
    expect(r.regionObserved).toBe('eu-west-1');
    expect(success(await call('no-geo')).regionObserved).toBeNull();
  });

  it('reads a refusal as a filtered answer: partial text kept, the classifier category and explanation in safety', async () => {
    const r = success(await call('refusal'));
    expect(r).toMatchObject({ content: 'Here is the first step:', finishReason: 'content_filter', refusal: null });
    expect(r.safety).toBe('anthropic refusal (cyber: The request asks for functional malware.)');
    expect(classifyResponse({ content: r.content, finishReason: r.finishReason, refusal: r.refusal }).label).toBe('filtered');
  });

  it.each([
    ['rate-limit', 429, 'retryable', 'rate_limit_error'],
    ['overloaded', 529, 'retryable', 'overloaded_error'],
    ['api-error', 500, 'retryable', 'api_error'],
    ['permission', 403, 'final', 'permission_error'],
    ['too-large', 413, 'final', 'request_too_large'],
    ['not-found', 404, 'final', 'not_found_error'],
  ])('%s: HTTP %i is %s, with the API type and message', async (scenario, status, expected, type) => {
    const r = failure(await call(scenario));
    expect(r.status).toBe(status);
    expect(r.failure).toMatchObject({ kind: 'http', status });
    expect(r.failure.message).toContain(`HTTP ${status}: ${type}: `);
    expect(r.requestId).toMatch(/^req_fake\d{4}$/);
    expect(classifyFailure(r.failure)).toBe(expected);
  });

  it('paces a 429 by its Retry-After', async () => {
    expect(failure(await call('rate-limit')).failure.retryAfterMs).toBe(17_000);
  });

  it('calls the spend-limit 429 final: waiting does not lift a spend cap', async () => {
    const r = failure(await call('spend-limit'));
    expect(r.status).toBe(429);
    expect(r.failure.message).toContain('spend limit');
    expect(r.failure.retryAfterMs).toBeNull();
    expect(classifyFailure(r.failure)).toBe('final');
  });

  it('is refused by the API without anthropic-version, with a wrong key, and without max_tokens (all final)', async () => {
    // The adapter always sends the first and the last, so the API's own checks are exercised directly.
    const res = await fetch(`${fake.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ANTHROPIC_FAKE_KEY },
      body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
    const noMax = await fetch(`${fake.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ANTHROPIC_FAKE_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(noMax.status).toBe(400);
    expect(await noMax.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });

    const wrongKey = failure(await call('ok', { apiKey: 'sk-ant-wrong-key-000000' }));
    expect(wrongKey.failure).toMatchObject({ kind: 'http', status: 401, message: 'HTTP 401: authentication_error: invalid x-api-key' });
    expect(classifyFailure(wrongKey.failure)).toBe('final');
  });

  it('times out on an upstream that never answers', async () => {
    const r = failure(await call('hang', { timeoutMs: 300 }));
    expect(r.failure.kind).toBe('timeout');
    expect(classifyFailure(r.failure)).toBe('retryable');
  });

  it('calls a 200 that is not JSON an invalid response (final)', async () => {
    const r = failure(await call('invalid-json'));
    expect(r.failure).toMatchObject({ kind: 'invalid_response', message: 'response is not JSON' });
    expect(classifyFailure(r.failure)).toBe('final');
  });

  it('never returns the key when the upstream echoes it in the error body and a header', async () => {
    const r = failure(await call('echo-key'));
    // The echo happened and was hidden: in the message, the stored body and the request-id header.
    expect(r.failure.message).toContain(`x-api-key ${REDACTED}`);
    expect(r.body).toContain(REDACTED);
    expect(r.requestId).toBe(`req_${REDACTED}`);
    expect(classifyFailure(r.failure)).toBe('final');
    const returned = JSON.stringify(r);
    expect(returned).not.toContain(ANTHROPIC_FAKE_KEY);
    expect(returned).not.toContain(ANTHROPIC_FAKE_KEY.slice(-16));
    expect(fake.requests.at(-1)!.headers['x-api-key']).toBe(ANTHROPIC_FAKE_KEY);
  });
});
