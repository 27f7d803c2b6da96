import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { classifyFailure, openAiProvider, REDACTED, type ProviderConfig } from '@beacon/domain';
import { HttpChatProvider, type ChatFailure, type ChatRequest, type ChatSuccess } from '@beacon/engine';
import type { RunningFake } from '../utils/fakes/fake-server.js';
import { GEMINI_FAKE_KEY, start } from '../utils/fakes/gemini-fake.js';

/** The Gemini adapter through the real transport, over real HTTP, against a fake of AI Studio's generateContent. */
describe('Gemini generateContent provider over HTTP', () => {
  let fake: RunningFake;
  const provider = new HttpChatProvider(4);
  const config = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({ ...openAiProvider(fake.url, null), kind: 'gemini', ...over });

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
      apiKey: GEMINI_FAKE_KEY,
      model: 'gemini-2.5-flash',
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

  it('sends the generateContent request with the key in a header, and reads the answer without its thoughts', async () => {
    const r = success(await call('ok'));
    expect(r).toMatchObject({
      status: 200,
      content: 'The capital of France is Paris.',
      finishReason: 'stop',
      inputTokens: 14,
      outputTokens: 8,
      responseModel: 'gemini-2.5-flash-001',
      requestId: expect.stringMatching(/^fakeResp\d{4}$/) as unknown,
      // AI Studio says nothing about where a call ran.
      regionObserved: null,
      safety: null,
      usage: { promptTokenCount: 14, candidatesTokenCount: 8, thoughtsTokenCount: 25 },
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.url).not.toContain('key=');
    expect(sent.headers['x-goog-api-key']).toBe(GEMINI_FAKE_KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      systemInstruction: { parts: [{ text: 'You are an assistant based in Europe.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Capital of France? scenario:ok' }] }],
      generationConfig: { temperature: 0.3, maxOutputTokens: 50 },
    });
    expect(classifyResponse(r).label).toBe('answered');
  });

  it('reads MAX_TOKENS as length', async () => {
    expect(success(await call('max-tokens'))).toMatchObject({ finishReason: 'length', content: 'The capital of France', outputTokens: 50 });
  });

  it('reads a SAFETY candidate as filtered, naming the rating that blocked it', async () => {
    const r = success(await call('safety'));
    expect(r).toMatchObject({
      content: null,
      finishReason: 'content_filter',
      safety: 'gemini finishReason SAFETY (HARM_CATEGORY_HARASSMENT: HIGH)',
    });
    expect(classifyResponse({ content: r.content, finishReason: r.finishReason, refusal: r.refusal }).label).toBe('filtered');
  });

  it('reads a blocked prompt (200, no candidates) as a filtered success, not a failure', async () => {
    const r = success(await call('prompt-blocked'));
    expect(r).toMatchObject({ status: 200, content: null, finishReason: 'content_filter', inputTokens: 14, outputTokens: null });
    expect(r.safety).toBe('prompt blocked: SAFETY (HARM_CATEGORY_DANGEROUS_CONTENT: HIGH)');
    expect(classifyResponse({ content: r.content, finishReason: r.finishReason, refusal: r.refusal }).label).toBe('filtered');
  });

  it.each([
    ['rate-limit', 429, 'retryable', 'RESOURCE_EXHAUSTED'],
    ['unavailable', 503, 'retryable', 'UNAVAILABLE'],
    ['internal', 500, 'retryable', 'INTERNAL'],
    ['deadline', 504, 'retryable', 'DEADLINE_EXCEEDED'],
    ['precondition', 400, 'final', 'FAILED_PRECONDITION'],
    ['denied', 403, 'final', 'PERMISSION_DENIED'],
  ])('%s: HTTP %i is %s, with the API status and message', async (scenario, status, expected, name) => {
    const r = failure(await call(scenario));
    expect(r.status).toBe(status);
    expect(r.failure).toMatchObject({ kind: 'http', status });
    expect(r.failure.message).toContain(`HTTP ${status}: ${name}: `);
    expect(classifyFailure(r.failure)).toBe(expected);
  });

  it('paces a 429 by its RetryInfo detail (Gemini sends no Retry-After)', async () => {
    const r = failure(await call('rate-limit'));
    expect(r.failure.retryAfterMs).toBe(37_600);
  });

  it('is refused for an unknown model, a missing or wrong key, and a bad body (all final)', async () => {
    const missing = failure(await call('ok', { model: 'gemini-missing' }));
    expect(missing.failure).toMatchObject({ status: 404 });
    expect(missing.failure.message).toContain('NOT_FOUND: models/gemini-missing is not found');
    expect(classifyFailure(missing.failure)).toBe('final');

    const wrong = failure(await call('ok', { apiKey: 'AIzaSyWrong-000000000000' }));
    expect(wrong.failure).toMatchObject({
      status: 400,
      message: 'HTTP 400: INVALID_ARGUMENT: API key not valid. Please pass a valid API key.',
    });
    expect(classifyFailure(wrong.failure)).toBe('final');

    const none = failure(await call('ok', { apiKey: null }));
    expect(none.failure).toMatchObject({ status: 403 });
    expect(none.failure.message).toContain('PERMISSION_DENIED');
    expect(classifyFailure(none.failure)).toBe('final');

    // The adapter never sends a bad body, so the API's own check is exercised directly: an OpenAI-style field.
    const res = await fetch(`${fake.url}/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': GEMINI_FAKE_KEY },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { max_tokens: 5 } }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
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

  it('never returns the key when the upstream echoes it in an error body', async () => {
    const r = failure(await call('echo-key'));
    expect(r.failure.message).toContain(`API key ${REDACTED} cannot be used`);
    expect(r.body).toContain(REDACTED);
    const returned = JSON.stringify(r);
    expect(returned).not.toContain(GEMINI_FAKE_KEY);
    expect(returned).not.toContain(GEMINI_FAKE_KEY.slice(-16));
    expect(fake.requests.at(-1)!.headers['x-goog-api-key']).toBe(GEMINI_FAKE_KEY);
  });
});
