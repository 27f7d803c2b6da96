import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { classifyFailure, openAiProvider, type ProviderConfig } from '@beacon/domain';
import { HttpChatProvider, type ChatFailure, type ChatRequest, type ChatSuccess } from '@beacon/engine';
import type { FakeServer } from '../utils/fakes/fake-http.js';
import { start } from '../utils/fakes/ollama-fake.js';

/** The ollama adapter through the real transport, over real HTTP, against a fake of Ollama's `/api/chat`. */
describe('Ollama provider', () => {
  const KEY = 'ollama-cloud-key-5f4e3d2c1b0a';
  let local: FakeServer;
  let cloud: FakeServer;
  const http = new HttpChatProvider(4);

  beforeAll(async () => {
    local = await start();
    cloud = await start({ key: KEY });
  });
  afterAll(async () => {
    await http.close();
    await local.close();
    await cloud.close();
  });

  const ollama = (base: string): ProviderConfig => ({ ...openAiProvider(base, null), kind: 'ollama' });
  const call = (scenario: string, opts: { base?: string; apiKey?: string | null; model?: string; timeoutMs?: number } = {}) => {
    const base = opts.base ?? `${local.url}/`;
    return http.chat({
      baseUrl: base,
      apiKey: opts.apiKey ?? null,
      model: opts.model ?? 'llama3.2:1b',
      system: 'You are a helpful assistant based in Asia.',
      user: `What is the capital of France? [scenario:${scenario}]`,
      temperature: 0.2,
      maxTokens: 64,
      timeoutMs: opts.timeoutMs ?? 5000,
      signal: new AbortController().signal,
      provider: ollama(base),
    } satisfies ChatRequest);
  };
  const failed = (r: ChatSuccess | ChatFailure): ChatFailure => {
    if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
    return r;
  };

  it('posts to /api/chat unstreamed, with the options, no key, and reads content, done_reason and counts', async () => {
    const r = await call('success');
    expect(r).toMatchObject({
      ok: true,
      status: 200,
      content: 'Paris is the capital of France.',
      finishReason: 'stop',
      inputTokens: 26,
      outputTokens: 3,
      responseModel: 'llama3.2:1b',
      regionObserved: null,
      usage: { prompt_eval_count: 26, eval_count: 3, total_duration: 512_000_000 },
    });
    const seen = local.requests.at(-1)!;
    expect(seen.url).toBe('/api/chat');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.body).toEqual({
      model: 'llama3.2:1b',
      messages: [
        { role: 'system', content: 'You are a helpful assistant based in Asia.' },
        { role: 'user', content: 'What is the capital of France? [scenario:success]' },
      ],
      stream: false,
      options: { temperature: 0.2, num_predict: 64 },
    });
  });

  it('sends the key as a bearer when one is given (ollama.com); without it the server refuses', async () => {
    expect(await call('success', { base: cloud.url, apiKey: KEY })).toMatchObject({ ok: true, content: 'Paris is the capital of France.' });
    expect(cloud.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    const r = failed(await call('success', { base: cloud.url }));
    expect(r.failure).toMatchObject({ kind: 'http', status: 401, message: 'HTTP 401: unauthorized' });
    expect(classifyFailure(r.failure)).toBe('final');
  });

  it('done_reason length is kept; message.thinking is not the answer; nothing is ever filtered', async () => {
    const length = await call('length');
    expect(length).toMatchObject({ ok: true, content: 'Paris is the capital', finishReason: 'length', outputTokens: 2 });
    const thinking = await call('thinking');
    expect(thinking).toMatchObject({ ok: true, content: 'Paris is the capital of France.' });
    if (!thinking.ok) throw new Error('unreachable');
    expect(thinking.safety).toBeUndefined();
    expect(classifyResponse({ content: thinking.content, finishReason: thinking.finishReason, refusal: thinking.refusal }).label).not.toBe(
      'filtered',
    );
  });

  it('an NDJSON body (a server that streams anyway) is joined, with the last line’s done_reason and counts', async () => {
    const r = await call('streams-anyway');
    expect(r).toMatchObject({
      ok: true,
      content: 'Paris is the capital of France.',
      finishReason: 'stop',
      inputTokens: 26,
      outputTokens: 3,
    });
  });

  it('the fake streams NDJSON when stream is not false, as Ollama does (what the adapter asks it not to do)', async () => {
    const res = await fetch(`${local.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { done: boolean });
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
  });

  it('an {error} line mid-stream is a retryable failure naming the error', async () => {
    const r = failed(await call('mid-stream-error'));
    expect(r).toMatchObject({ status: 200, failure: { kind: 'http', status: 502, message: expect.stringContaining('unexpected EOF') } });
    expect(classifyFailure(r.failure)).toBe('retryable');
  });

  it('404 unknown model and 400 are final, with Ollama’s message', async () => {
    const missing = failed(await call('success', { model: 'x' }));
    expect(missing.failure).toMatchObject({ kind: 'http', status: 404, message: "HTTP 404: model 'x' not found" });
    expect(classifyFailure(missing.failure)).toBe('final');
    const bad = failed(await call('bad-request'));
    expect(bad.failure).toMatchObject({ kind: 'http', status: 400, message: expect.stringContaining('invalid options') });
    expect(classifyFailure(bad.failure)).toBe('final');
  });

  it('429 (paced by Retry-After), 500 and 503 queue full are retryable', async () => {
    const limited = failed(await call('rate-limit'));
    expect(limited.failure).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 3000 });
    expect(classifyFailure(limited.failure)).toBe('retryable');
    for (const [scenario, status, said] of [
      ['server-error', 500, 'llama runner process has terminated'],
      ['queue-full', 503, 'maximum pending requests exceeded'],
    ] as const) {
      const r = failed(await call(scenario));
      expect(r.failure).toMatchObject({ kind: 'http', status, message: expect.stringContaining(said) });
      expect(classifyFailure(r.failure)).toBe('retryable');
    }
  });

  it('a 200 that is neither JSON nor NDJSON is a final invalid_response', async () => {
    const r = failed(await call('invalid-json'));
    expect(r.failure).toMatchObject({ kind: 'invalid_response', message: 'response is neither JSON nor NDJSON' });
    expect(classifyFailure(r.failure)).toBe('final');
  });

  it('no answer within the timeout is a retryable timeout', async () => {
    const r = failed(await call('hang', { timeoutMs: 300 }));
    expect(r.failure).toMatchObject({ kind: 'timeout' });
    expect(classifyFailure(r.failure)).toBe('retryable');
  });

  it('the key never comes back in any field when the upstream echoes it', async () => {
    const r = failed(await call('echo-key', { apiKey: KEY }));
    expect(local.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r).toMatchObject({ status: 401, body: expect.stringContaining('unauthorized: Bearer ') });
    expect(JSON.stringify(r)).not.toContain(KEY);
  });
});
