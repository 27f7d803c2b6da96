import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { classifyFailure, openAiProvider, type ProviderConfig } from '@beacon/domain';
import { HttpChatProvider, type ChatFailure, type ChatRequest, type ChatSuccess } from '@beacon/engine';
import { AZURE_FAKE_KEY, AZURE_FAKE_REGION, start } from '../utils/fakes/azure-fake.js';
import type { FakeServer } from '../utils/fakes/fake-http.js';

/** The azure-openai adapter through the real transport, over real HTTP, against a fake of Azure's REST API. */
describe('Azure OpenAI provider', () => {
  let fake: FakeServer;
  const http = new HttpChatProvider(4);

  beforeAll(async () => {
    fake = await start();
  });
  afterAll(async () => {
    await http.close();
    await fake.close();
  });

  function azure(extra: Partial<ProviderConfig> = {}, base = fake.url): ProviderConfig {
    return { ...openAiProvider(base, null), kind: 'azure-openai', deployment: 'gpt-4o-prod', ...extra };
  }
  const call = (scenario: string, opts: { provider?: ProviderConfig; apiKey?: string | null; timeoutMs?: number } = {}) =>
    http.chat({
      baseUrl: opts.provider?.baseUrl ?? fake.url,
      apiKey: opts.apiKey === undefined ? AZURE_FAKE_KEY : opts.apiKey,
      model: 'gpt-4o',
      system: 'You are a helpful assistant based in Europe.',
      user: `What is the capital of France? [scenario:${scenario}]`,
      temperature: 0.1,
      maxTokens: 50,
      timeoutMs: opts.timeoutMs ?? 5000,
      signal: new AbortController().signal,
      provider: opts.provider ?? azure(),
    } satisfies ChatRequest);
  const failed = (r: ChatSuccess | ChatFailure): ChatFailure => {
    if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
    return r;
  };

  it('calls the deployments route with the default api-version and the api-key header, and reads the answer', async () => {
    const r = await call('success');
    expect(r).toMatchObject({
      ok: true,
      status: 200,
      content: 'Paris is the capital of France.',
      finishReason: 'stop',
      inputTokens: 24,
      outputTokens: 7,
      responseModel: 'gpt-4o-2024-08-06',
      regionObserved: AZURE_FAKE_REGION,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const seen = fake.requests.at(-1)!;
    expect(seen.url).toBe('/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21');
    expect(seen.headers['api-key']).toBe(AZURE_FAKE_KEY);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.body).toMatchObject({
      messages: [
        { role: 'system', content: 'You are a helpful assistant based in Europe.' },
        { role: 'user', content: expect.stringContaining('capital of France') },
      ],
      temperature: 0.1,
      max_tokens: 50,
    });
  });

  it('sends the configured api-version, and the model as deployment when none is configured', async () => {
    expect(await call('success', { provider: azure({ deployment: null, apiVersion: '2025-04-01-preview' }) })).toMatchObject({ ok: true });
    expect(fake.requests.at(-1)!.url).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2025-04-01-preview');
  });

  it('uses the v1 route as given, without api-version, with the deployment as model', async () => {
    const r = await call('success', { provider: azure({}, `${fake.url}/openai/v1/`) });
    expect(r).toMatchObject({ ok: true, content: 'Paris is the capital of France.', regionObserved: AZURE_FAKE_REGION });
    const seen = fake.requests.at(-1)!;
    expect(seen.url).toBe('/openai/v1/chat/completions');
    expect(seen.body).toMatchObject({ model: 'gpt-4o-prod' });
  });

  it('a blocked prompt (400 content_filter) is a filtered success naming the categories', async () => {
    const r = await call('prompt-filter');
    expect(r).toMatchObject({
      ok: true,
      status: 400,
      content: null,
      finishReason: 'content_filter',
      safety: 'azure content_filter on prompt (ResponsibleAIPolicyViolation; violence: high, jailbreak: detected)',
      requestId: expect.any(String),
    });
    if (!r.ok) throw new Error('unreachable');
    expect(classifyResponse({ content: r.content, finishReason: r.finishReason, refusal: r.refusal }).label).toBe('filtered');
  });

  it('a blocked answer (200 finish_reason content_filter) is filtered, with the category from the choice', async () => {
    const r = await call('output-filter');
    expect(r).toMatchObject({
      ok: true,
      status: 200,
      finishReason: 'content_filter',
      safety: 'azure content_filter on output (hate: medium)',
    });
    if (!r.ok) throw new Error('unreachable');
    expect(classifyResponse({ content: r.content, finishReason: r.finishReason, refusal: r.refusal }).label).toBe('filtered');
  });

  it('a 429 is retryable, paced by retry-after, and by retry-after-ms over retry-after when both are sent', async () => {
    const r = failed(await call('rate-limit'));
    expect(r.failure).toMatchObject({
      kind: 'http',
      status: 429,
      retryAfterMs: 7000,
      message: expect.stringContaining('retry after 7 seconds'),
    });
    expect(classifyFailure(r.failure)).toBe('retryable');
    const ms = failed(await call('rate-limit-ms'));
    expect(ms.failure).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 1500 });
    expect(classifyFailure(ms.failure)).toBe('retryable');
  });

  it('a 429 insufficient_quota is final', async () => {
    const r = failed(await call('quota'));
    expect(r).toMatchObject({
      status: 429,
      failure: { kind: 'http', status: 402, message: expect.stringContaining('exceeded your current quota') },
    });
    expect(classifyFailure(r.failure)).toBe('final');
  });

  it('503 overload and 500 are retryable; 401 (wrong key) and 404 (no api-version) are final', async () => {
    for (const [scenario, status] of [
      ['overload', 503],
      ['server-error', 500],
    ] as const) {
      const r = failed(await call(scenario));
      expect(r.failure).toMatchObject({ kind: 'http', status });
      expect(classifyFailure(r.failure)).toBe('retryable');
    }
    const unauthorized = failed(await call('success', { apiKey: 'wrong-key' }));
    expect(unauthorized.failure).toMatchObject({ kind: 'http', status: 401, message: expect.stringContaining('Access denied') });
    expect(classifyFailure(unauthorized.failure)).toBe('final');
    const bare = await fetch(`${fake.url}/openai/deployments/gpt-4o-prod/chat/completions`, {
      method: 'POST',
      headers: { 'api-key': AZURE_FAKE_KEY },
      body: '{}',
    });
    expect(bare.status).toBe(404);
    // An empty api-version: the URL carries the parameter but the fake, like Azure, finds no resource without a value.
    const noVersion = failed(await call('success', { provider: azure({ apiVersion: '' }) }));
    expect(noVersion.failure).toMatchObject({ kind: 'http', status: 404, message: 'HTTP 404: Resource not found' });
    expect(classifyFailure(noVersion.failure)).toBe('final');
  });

  it('a 200 that is not JSON is a final invalid_response', async () => {
    const r = failed(await call('invalid-json'));
    expect(r.failure).toMatchObject({ kind: 'invalid_response', message: 'response is not JSON' });
    expect(classifyFailure(r.failure)).toBe('final');
  });

  it('no answer within the timeout is a retryable timeout', async () => {
    const r = failed(await call('hang', { timeoutMs: 300 }));
    expect(r.failure).toMatchObject({ kind: 'timeout', message: 'no answer within 300 ms' });
    expect(classifyFailure(r.failure)).toBe('retryable');
  });

  it('the key never comes back in any field when the upstream echoes it', async () => {
    const key = 'azure-secret-echo-9f8e7d6c5b4a';
    const r = await call('echo-key', { apiKey: key });
    expect(fake.requests.at(-1)!.headers['api-key']).toBe(key);
    // The fake did quote it (in the body and in x-request-id): what came back says so, with the key hidden.
    expect(r).toMatchObject({
      ok: false,
      status: 401,
      body: expect.stringContaining('Incorrect API key provided'),
      requestId: expect.stringMatching(/^req-/),
    });
    expect(JSON.stringify(r)).not.toContain(key);
  });
});
