import { describe, expect, it } from '@jest/globals';
import { classifyFailure, openAiProvider } from '@beacon/domain';
import type { UpstreamAnswer } from '../adapter.js';
import type { ChatRequest } from '../chat-provider.js';
import { durationMs, geminiAdapter, geminiFinishReason, geminiModelPath, parseGeminiError, parseGeminiResponse } from './gemini.adapter.js';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): UpstreamAnswer => ({
  status,
  headers,
  text: typeof body === 'string' ? body : JSON.stringify(body),
  requestId: null,
  regionObserved: null,
  latencyMs: 5,
});

const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  apiKey: 'AIza-test-key',
  model: 'gemini-2.5-flash',
  system: 'Be brief.',
  user: 'Capital of France?',
  temperature: 0.2,
  maxTokens: 64,
  timeoutMs: 1000,
  signal: new AbortController().signal,
  ...over,
});

describe('gemini adapter: the call', () => {
  it('posts to models/{model}:generateContent with the key in a header, never in the URL', () => {
    const call = geminiAdapter.prepare(request(), { ...openAiProvider('x', null), kind: 'gemini' });
    if (call instanceof Promise) throw new Error('prepare is synchronous');
    expect(call.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(call.url).not.toContain('AIza');
    expect(call.headers).toMatchObject({ 'x-goog-api-key': 'AIza-test-key', 'content-type': 'application/json' });
    expect(JSON.parse(call.body)).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Capital of France?' }] }],
      generationConfig: { temperature: 0.2, maxOutputTokens: 64 },
    });
  });

  it('leaves an empty system prompt out and sends no key header without a key', () => {
    const call = geminiAdapter.prepare(request({ system: '', apiKey: null }), { ...openAiProvider('x', null), kind: 'gemini' });
    if (call instanceof Promise) throw new Error('prepare is synchronous');
    expect(call.headers['x-goog-api-key']).toBeUndefined();
    expect(JSON.parse(call.body)).not.toHaveProperty('systemInstruction');
  });

  it('encodes what a model name could smuggle into the path, and keeps a given collection', () => {
    expect(geminiModelPath('gemini-2.0-flash-001')).toBe('models/gemini-2.0-flash-001');
    expect(geminiModelPath('models/gemini-pro')).toBe('models/gemini-pro');
    expect(geminiModelPath('tunedModels/my-model')).toBe('tunedModels/my-model');
    expect(geminiModelPath('x:streamGenerateContent?alt=sse')).toBe('models/x%3AstreamGenerateContent%3Falt%3Dsse');
    expect(geminiModelPath('../../v1/files')).toBe('models/..%2F..%2Fv1%2Ffiles');
    expect(geminiModelPath('models/a/../b')).toBe('models/a%2F..%2Fb');
  });
});

describe('gemini adapter: answers', () => {
  it('joins the text parts without thoughts, reads usage, modelVersion and responseId', () => {
    const r = parseGeminiResponse(
      answer(200, {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [{ text: 'thinking…', thought: true }, { text: 'Par' }, { text: 'is.' }],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2, thoughtsTokenCount: 30, totalTokenCount: 41 },
        modelVersion: 'gemini-2.5-flash',
        responseId: 'resp-1',
      }),
    );
    expect(r).toMatchObject({
      ok: true,
      content: 'Paris.',
      finishReason: 'stop',
      inputTokens: 9,
      outputTokens: 2,
      responseModel: 'gemini-2.5-flash',
      requestId: 'resp-1',
      safety: null,
      usage: { thoughtsTokenCount: 30 },
    });
  });

  it('reads a SAFETY candidate with no content as filtered, naming the high or blocked ratings', () => {
    const r = parseGeminiResponse(
      answer(200, {
        candidates: [
          {
            finishReason: 'SAFETY',
            safetyRatings: [
              { category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true },
              { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
            ],
          },
        ],
      }),
    );
    expect(r).toMatchObject({
      ok: true,
      content: null,
      finishReason: 'content_filter',
      safety: 'gemini finishReason SAFETY (HARM_CATEGORY_HARASSMENT: HIGH)',
    });
  });

  it('reads a blocked prompt (200, no candidates) as a filtered success', () => {
    const r = parseGeminiResponse(
      answer(200, { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 7 } }),
    );
    expect(r).toMatchObject({
      ok: true,
      content: null,
      finishReason: 'content_filter',
      safety: 'prompt blocked: PROHIBITED_CONTENT',
      inputTokens: 7,
    });
  });

  it('maps finish reasons, keeping unknown ones raw', () => {
    expect(geminiFinishReason('MAX_TOKENS')).toBe('length');
    expect(['BLOCKLIST', 'SPII', 'RECITATION'].map(geminiFinishReason)).toEqual(['content_filter', 'content_filter', 'content_filter']);
    expect(geminiFinishReason('LANGUAGE')).toBe('LANGUAGE');
  });

  it('calls unreadable 2xx answers invalid', () => {
    expect(parseGeminiResponse(answer(200, 'nope'))).toMatchObject({ ok: false, failure: { kind: 'invalid_response' } });
    expect(parseGeminiResponse(answer(200, { candidates: [] }))).toMatchObject({ ok: false, failure: { kind: 'invalid_response' } });
  });
});

describe('gemini adapter: errors', () => {
  const err = (code: number, status: string, details: unknown[] = []) => ({ error: { code, message: 'said so', status, details } });

  it.each([
    [429, 'RESOURCE_EXHAUSTED', 'retryable'],
    [500, 'INTERNAL', 'retryable'],
    [503, 'UNAVAILABLE', 'retryable'],
    [504, 'DEADLINE_EXCEEDED', 'retryable'],
    [400, 'INVALID_ARGUMENT', 'final'],
    [400, 'FAILED_PRECONDITION', 'final'],
    [403, 'PERMISSION_DENIED', 'final'],
    [404, 'NOT_FOUND', 'final'],
  ] as const)('%i %s is %s', (code, status, expected) => {
    const r = parseGeminiError(answer(code, err(code, status)));
    expect(r.failure.message).toBe(`HTTP ${code}: ${status}: said so`);
    expect(classifyFailure(r.failure)).toBe(expected);
  });

  it('takes the wait of a 429 from its RetryInfo detail', () => {
    const r = parseGeminiError(
      answer(
        429,
        err(429, 'RESOURCE_EXHAUSTED', [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37.6s' },
        ]),
      ),
    );
    expect(r.failure).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 37_600 });
  });

  it('reads an error wrapped in a list, and Retry-After when there is no RetryInfo', () => {
    const r = parseGeminiError(answer(503, [err(503, 'UNAVAILABLE')], { 'retry-after': '3' }));
    expect(r.failure).toMatchObject({ status: 503, retryAfterMs: 3000, message: 'HTTP 503: UNAVAILABLE: said so' });
  });

  it('parses protobuf durations', () => {
    expect(durationMs('2s')).toBe(2000);
    expect(durationMs('0.5s')).toBe(500);
    expect(durationMs('5m')).toBeNull();
    expect(durationMs(5)).toBeNull();
  });
});
