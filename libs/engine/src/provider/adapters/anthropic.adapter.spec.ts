import { describe, expect, it } from '@jest/globals';
import { classifyFailure, openAiProvider } from '@beacon/domain';
import type { UpstreamAnswer } from '../adapter.js';
import type { ChatRequest } from '../chat-provider.js';
import { anthropicAdapter, anthropicFinishReason, parseAnthropicError, parseAnthropicMessage } from './anthropic.adapter.js';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): UpstreamAnswer => ({
  status,
  headers,
  text: typeof body === 'string' ? body : JSON.stringify(body),
  requestId: headers['request-id'] ?? null,
  regionObserved: null,
  latencyMs: 5,
});

const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  baseUrl: 'https://api.anthropic.com/v1/',
  apiKey: 'sk-ant-test',
  model: 'claude-sonnet-4-5',
  system: 'Be brief.',
  user: 'Capital of France?',
  temperature: 1.4,
  maxTokens: 64,
  timeoutMs: 1000,
  signal: new AbortController().signal,
  ...over,
});

describe('anthropic adapter: the call', () => {
  it('posts to baseUrl/messages with the key, the version and a clamped temperature', () => {
    const call = anthropicAdapter.prepare(request(), { ...openAiProvider('x', null), kind: 'anthropic' });
    if (call instanceof Promise) throw new Error('prepare is synchronous');
    expect(call.url).toBe('https://api.anthropic.com/v1/messages');
    expect(call.headers).toMatchObject({
      'x-api-key': 'sk-ant-test',
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    });
    expect(JSON.parse(call.body)).toEqual({
      model: 'claude-sonnet-4-5',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      max_tokens: 64,
      temperature: 1,
    });
  });

  it('sends the configured version and leaves an empty system prompt out', () => {
    const call = anthropicAdapter.prepare(request({ system: '', apiKey: null }), {
      ...openAiProvider('x', null),
      kind: 'anthropic',
      apiVersion: '2024-01-01',
    });
    if (call instanceof Promise) throw new Error('prepare is synchronous');
    expect(call.headers['anthropic-version']).toBe('2024-01-01');
    expect(call.headers['x-api-key']).toBeUndefined();
    expect(JSON.parse(call.body)).not.toHaveProperty('system');
  });
});

describe('anthropic adapter: answers', () => {
  it('joins the text blocks, maps stop_reason, reads usage, the model and inference_geo', () => {
    const r = parseAnthropicMessage(
      answer(
        200,
        {
          model: 'claude-sonnet-4-5-20250929',
          content: [
            { type: 'thinking', thinking: 'hmm' },
            { type: 'text', text: 'Par' },
            { type: 'text', text: 'is.' },
          ],
          stop_reason: 'end_turn',
          usage: { input_tokens: 12, output_tokens: 3, inference_geo: 'us' },
        },
        { 'request-id': 'req_1' },
      ),
    );
    expect(r).toMatchObject({
      ok: true,
      content: 'Paris.',
      finishReason: 'stop',
      inputTokens: 12,
      outputTokens: 3,
      responseModel: 'claude-sonnet-4-5-20250929',
      regionObserved: 'us',
      requestId: 'req_1',
      safety: null,
      usage: { input_tokens: 12, output_tokens: 3, inference_geo: 'us' },
    });
  });

  it('reads a refusal as a content filter, keeping the partial text and the stop details', () => {
    const r = parseAnthropicMessage(
      answer(200, {
        content: [{ type: 'text', text: 'Here is how' }],
        stop_reason: 'refusal',
        stop_details: { type: 'refusal', category: 'cyber', explanation: 'malware request' },
        usage: { input_tokens: 1, output_tokens: 3 },
      }),
    );
    expect(r).toMatchObject({
      ok: true,
      content: 'Here is how',
      finishReason: 'content_filter',
      safety: 'anthropic refusal (cyber: malware request)',
    });
  });

  it('maps the known stop reasons and keeps unknown ones raw', () => {
    expect(anthropicFinishReason('stop_sequence')).toBe('stop');
    expect(anthropicFinishReason('max_tokens')).toBe('length');
    expect(anthropicFinishReason('pause_turn')).toBe('pause_turn');
    expect(anthropicFinishReason(null)).toBeNull();
  });

  it('calls a 2xx that is not a message an invalid response', () => {
    expect(parseAnthropicMessage(answer(200, '<html>'))).toMatchObject({ ok: false, failure: { kind: 'invalid_response' } });
    expect(parseAnthropicMessage(answer(200, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))).toMatchObject(
      {
        ok: false,
        failure: { kind: 'invalid_response', message: 'response is an error: Overloaded' },
      },
    );
  });
});

describe('anthropic adapter: errors', () => {
  const err = (type: string, message: string, extra: Record<string, unknown> = {}) => ({
    type: 'error',
    error: { type, message, ...extra },
    request_id: 'req_body',
  });

  it.each([
    [529, 'overloaded_error', 'retryable'],
    [429, 'rate_limit_error', 'retryable'],
    [500, 'api_error', 'retryable'],
    [400, 'invalid_request_error', 'final'],
    [401, 'authentication_error', 'final'],
    [403, 'permission_error', 'final'],
    [404, 'not_found_error', 'final'],
    [413, 'request_too_large', 'final'],
  ] as const)('%i %s is %s', (status, type, expected) => {
    const r = parseAnthropicError(answer(status, err(type, 'said so')));
    expect(r.failure.message).toBe(`HTTP ${status}: ${type}: said so`);
    expect(classifyFailure(r.failure)).toBe(expected);
    expect(r.requestId).toBe('req_body');
  });

  it('reads Retry-After and prefers the request-id header', () => {
    const r = parseAnthropicError(answer(429, err('rate_limit_error', 'slow'), { 'retry-after': '12', 'request-id': 'req_hdr' }));
    expect(r.failure).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 12_000 });
    expect(r.requestId).toBe('req_hdr');
  });

  it('makes the spend-limit 429 final', () => {
    const r = parseAnthropicError(
      answer(429, err('rate_limit_error', 'spend limit', { details: { error_code: 'enforced_spend_limit_reached' } })),
    );
    expect(r.status).toBe(429);
    expect(r.failure.status).toBe(402);
    expect(classifyFailure(r.failure)).toBe('final');
  });
});
