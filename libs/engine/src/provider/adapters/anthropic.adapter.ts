import { PROVIDER_DEFAULTS, type ProviderConfig } from '@beacon/domain';
import type { ChatFailure, ChatRequest, ChatSuccess } from '../chat-provider.js';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from '../adapter.js';
import { errorMessageOf, field, httpFailure, invalidResponse, parseJson, str, toInt } from '../adapter-util.js';
import { jsonHeaders } from './openai.adapter.js';

/**
 * The Messages body. Beacon's temperature runs 0..2 (the OpenAI range) but Anthropic accepts only 0..1 and answers 400
 * to anything above, so it is clamped: a config written for OpenAI still runs, at Anthropic's most random setting.
 * An empty system prompt is left out rather than sent as an empty string, which the API does not need.
 */
export function anthropicBody(req: ChatRequest): string {
  return JSON.stringify({
    model: req.model,
    ...(req.system === '' ? {} : { system: req.system }),
    messages: [{ role: 'user', content: req.user }],
    max_tokens: req.maxTokens,
    temperature: Math.min(1, Math.max(0, req.temperature)),
  });
}

/**
 * `stop_reason` in Beacon's vocabulary (the OpenAI one the classifier reads). `refusal` is Anthropic's safety
 * classifiers stopping the answer, not the model declining, so it is `content_filter`; a context window that ran out
 * cut the answer like `max_tokens` did. Values not known here are kept raw, so a new one is stored, not lost.
 */
export function anthropicFinishReason(stopReason: string | null): string | null {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return stopReason;
  }
}

/**
 * A Messages answer: the `text` blocks of `content[]` joined (thinking and tool blocks are not the answer),
 * `stop_reason`, `usage` (whose `inference_geo` is the only in-band word of where the call ran), `model`.
 */
export function parseAnthropicMessage(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
  const json = parseJson(answer.text);
  if (json === undefined) return invalidResponse(answer, 'response is not JSON');
  if (field(json, 'type') === 'error') {
    const said = errorMessageOf(answer.text);
    return invalidResponse(answer, said ? `response is an error: ${said.slice(0, 300)}` : 'response is an error');
  }
  const blocks = field(json, 'content');
  if (!Array.isArray(blocks)) return invalidResponse(answer, 'response has no content[] list');
  const texts: string[] = [];
  for (const block of blocks) {
    const text = field(block, 'text');
    if (field(block, 'type') === 'text' && typeof text === 'string') texts.push(text);
  }
  const stopReason = str(field(json, 'stop_reason'));
  const finishReason = anthropicFinishReason(stopReason);
  const usage = field(json, 'usage');
  const geo = str(field(usage, 'inference_geo'));
  const model = str(field(json, 'model'));
  return {
    ok: true,
    responseModel: model ? model.slice(0, 200) : null,
    status: answer.status,
    requestId: answer.requestId,
    regionObserved: geo ? geo.slice(0, 200) : answer.regionObserved,
    latencyMs: answer.latencyMs,
    // A refusal may come after some text: it is kept, the finish reason says the answer was cut.
    content: texts.length > 0 ? texts.join('') : null,
    refusal: null,
    finishReason,
    safety: stopReason === 'refusal' ? refusalSafety(field(json, 'stop_details')) : null,
    inputTokens: toInt(field(usage, 'input_tokens')),
    outputTokens: toInt(field(usage, 'output_tokens')),
    usage: usage !== null && typeof usage === 'object' ? (usage as Record<string, unknown>) : null,
  };
}

/** `anthropic refusal (category: explanation)` of `stop_details`, clipped: what the safety classifier said. */
function refusalSafety(details: unknown): string {
  const said = [str(field(details, 'category')), str(field(details, 'explanation'))].filter((s): s is string => !!s);
  return (said.length > 0 ? `anthropic refusal (${said.join(': ')})` : 'anthropic refusal').slice(0, 500);
}

/**
 * An error `{type: "error", error: {type, message, details?}, request_id}`. The status decides: 429 `rate_limit_error`,
 * 500 `api_error` and 529 `overloaded_error` are retryable, 400/401/402/403/404/413 final, Retry-After read from the
 * header. One 429 is not a rate limit: `error.details.error_code: enforced_spend_limit_reached` is the workspace's spend
 * cap, which no wait lifts (it comes without Retry-After); it is reported as 402, the status Anthropic gives a billing
 * stop, so the retry policy calls it final instead of retrying into the cap until the attempts run out.
 */
export function parseAnthropicError(answer: UpstreamAnswer): ChatFailure {
  const json = parseJson(answer.text);
  const error = field(json, 'error');
  const type = str(field(error, 'type'));
  const message = str(field(error, 'message')) ?? errorMessageOf(answer.text);
  const said = type && message ? `${type}: ${message}` : (message ?? type);
  // The body names the request when a proxy dropped the header.
  const requestId = answer.requestId ?? str(field(json, 'request_id'))?.slice(0, 200) ?? null;
  const spendLimit = answer.status === 429 && field(field(error, 'details'), 'error_code') === 'enforced_spend_limit_reached';
  return httpFailure({ ...answer, requestId }, said, spendLimit ? { status: 402 } : {});
}

/** Anthropic Messages (`POST {baseUrl}/messages`, `x-api-key`, `anthropic-version`), e.g. `https://api.anthropic.com/v1`. */
export const anthropicAdapter: ProviderAdapter = {
  kind: 'anthropic',
  requestIdHeaders: ['request-id'],
  // No documented header names the serving site; `usage.inference_geo` in the body does (see parseAnthropicMessage).
  regionHeaders: [],
  prepare(req: ChatRequest, provider: ProviderConfig): PreparedCall {
    return {
      url: `${req.baseUrl.replace(/\/+$/, '')}/messages`,
      method: 'POST',
      headers: jsonHeaders({
        'anthropic-version': provider.apiVersion ?? PROVIDER_DEFAULTS.anthropicVersion,
        ...(req.apiKey ? { 'x-api-key': req.apiKey } : {}),
      }),
      body: anthropicBody(req),
    };
  },
  parseSuccess: parseAnthropicMessage,
  parseError: parseAnthropicError,
};
