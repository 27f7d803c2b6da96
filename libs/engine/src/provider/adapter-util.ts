import { parseRetryAfter } from '@beacon/domain';
import type { ChatFailure } from './chat-provider.js';
import type { UpstreamAnswer } from './adapter.js';

/** The JSON of a body, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** An object's property when it is an object (never throws on odd shapes). */
export function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** A string value, or null. */
export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A finite number rounded to an integer, or null. */
export function toInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null;
}

/** A 2xx answer the adapter could not read: a final `invalid_response`. */
export function invalidResponse(answer: UpstreamAnswer, message: string): ChatFailure {
  return {
    ok: false,
    status: answer.status,
    body: answer.text.slice(0, 2000),
    requestId: answer.requestId,
    regionObserved: answer.regionObserved,
    latencyMs: answer.latencyMs,
    failure: { kind: 'invalid_response', status: answer.status, message },
  };
}

/**
 * An HTTP failure: `status` decides retryable or final (429, 408, 5xx retryable), `message` is the API's own words
 * (clipped), and Retry-After (seconds or HTTP-date, or `retryAfterMs` when the API says it elsewhere) paces the retry.
 */
export function httpFailure(
  answer: UpstreamAnswer,
  message: string | null,
  opts: { status?: number; retryAfterMs?: number | null } = {},
): ChatFailure {
  const status = opts.status ?? answer.status;
  return {
    ok: false,
    status: answer.status,
    body: answer.text.slice(0, 2000),
    requestId: answer.requestId,
    regionObserved: answer.regionObserved,
    latencyMs: answer.latencyMs,
    failure: {
      kind: 'http',
      status,
      retryAfterMs: opts.retryAfterMs ?? parseRetryAfter(answer.headers['retry-after'] ?? null),
      message: message ? `HTTP ${answer.status}: ${message.slice(0, 300)}` : `HTTP ${answer.status}`,
    },
  };
}

/** `error.message` (OpenAI, Anthropic, Gemini, Azure shapes), `message` / `Message` (Bedrock), or `error` as a string (Ollama). */
export function errorMessageOf(text: string): string | null {
  const json = parseJson(text);
  const error = field(json, 'error');
  return (
    str(field(error, 'message')) ?? str(error) ?? str(field(json, 'message')) ?? str(field(json, 'Message')) ?? str(field(json, 'detail'))
  );
}
