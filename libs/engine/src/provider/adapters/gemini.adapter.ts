import { MAX_RETRY_AFTER_MS, type ProviderConfig } from '@beacon/domain';
import type { ChatFailure, ChatRequest, ChatSuccess } from '../chat-provider.js';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from '../adapter.js';
import { errorMessageOf, field, httpFailure, invalidResponse, parseJson, str, toInt } from '../adapter-util.js';
import { jsonHeaders } from './openai.adapter.js';

/**
 * The model's resource path: `models/{model}`, or the name as given when it already names its collection
 * (`models/…`, `tunedModels/…`). The name is one percent-encoded segment, so it cannot add a path (`/`, `..`), a query
 * or another `:method` to the URL; the characters model names use (letters, digits, `-`, `.`, `_`) stay as they are,
 * so the URL stays readable.
 */
export function geminiModelPath(model: string): string {
  const named = /^(models|tunedModels)\/(.+)$/.exec(model);
  return named ? `${named[1]}/${encodeURIComponent(named[2]!)}` : `models/${encodeURIComponent(model)}`;
}

/** The generateContent body; an empty system prompt is left out rather than sent as an empty text part, which instructs nothing. */
export function geminiBody(req: ChatRequest): string {
  return JSON.stringify({
    ...(req.system === '' ? {} : { systemInstruction: { parts: [{ text: req.system }] } }),
    contents: [{ role: 'user', parts: [{ text: req.user }] }],
    generationConfig: { temperature: req.temperature, maxOutputTokens: req.maxTokens },
  });
}

/** Finish reasons that are Google's filters stopping the output (RECITATION is its copyright filter): provider-side. */
const FILTERED = new Set(['SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'RECITATION']);

/** `finishReason` in Beacon's vocabulary (the OpenAI one the classifier reads); values not known here are kept raw. */
export function geminiFinishReason(reason: string | null): string | null {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== null && FILTERED.has(reason)) return 'content_filter';
  return reason;
}

/** The ratings that explain a block: those marked `blocked` or rated HIGH, as `CATEGORY: PROBABILITY`. */
function blockingRatings(ratings: unknown): string[] {
  if (!Array.isArray(ratings)) return [];
  const out: string[] = [];
  for (const r of ratings) {
    const category = str(field(r, 'category'));
    const probability = str(field(r, 'probability'));
    if (!category || (field(r, 'blocked') !== true && probability !== 'HIGH')) continue;
    out.push(`${category}: ${probability ?? 'blocked'}`);
  }
  return out;
}

function describeBlock(head: string, ratings: unknown, message: string | null): string {
  const named = blockingRatings(ratings);
  const detail = [...(named.length > 0 ? [named.join(', ')] : []), ...(message ? [message] : [])];
  return (detail.length > 0 ? `${head} (${detail.join('; ')})` : head).slice(0, 500);
}

/**
 * A generateContent answer. Text is `candidates[0].content.parts[].text` without `thought` parts (the model's
 * reasoning, not its answer). A prompt Google's filters blocked is HTTP 200 with no candidates and
 * `promptFeedback.blockReason`: a filtered success with no content, not a failure, since retrying gets the same.
 */
export function parseGeminiResponse(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
  const json = parseJson(answer.text);
  if (json === undefined) return invalidResponse(answer, 'response is not JSON');
  if (field(json, 'error') !== undefined) {
    const said = errorMessageOf(answer.text);
    return invalidResponse(answer, said ? `response is an error: ${said.slice(0, 300)}` : 'response is an error');
  }
  const usage = field(json, 'usageMetadata');
  const model = str(field(json, 'modelVersion'));
  const base = {
    ok: true as const,
    responseModel: model ? model.slice(0, 200) : null,
    status: answer.status,
    // AI Studio sends no documented request-id header; the body's responseId names the call instead.
    requestId: answer.requestId ?? str(field(json, 'responseId'))?.slice(0, 200) ?? null,
    regionObserved: answer.regionObserved,
    latencyMs: answer.latencyMs,
    refusal: null,
    inputTokens: toInt(field(usage, 'promptTokenCount')),
    outputTokens: toInt(field(usage, 'candidatesTokenCount')),
    usage: usage !== null && typeof usage === 'object' ? (usage as Record<string, unknown>) : null,
  };
  const candidates = field(json, 'candidates');
  const candidate: unknown = Array.isArray(candidates) ? candidates[0] : undefined;
  if (candidate === undefined) {
    const feedback = field(json, 'promptFeedback');
    const blockReason = str(field(feedback, 'blockReason'));
    if (!blockReason) return invalidResponse(answer, 'response has no candidates and no promptFeedback.blockReason');
    return {
      ...base,
      content: null,
      finishReason: 'content_filter',
      safety: describeBlock(`prompt blocked: ${blockReason}`, field(feedback, 'safetyRatings'), str(field(feedback, 'blockReasonMessage'))),
    };
  }
  const parts = field(field(candidate, 'content'), 'parts');
  const texts: string[] = [];
  if (Array.isArray(parts)) {
    for (const part of parts) {
      const text = field(part, 'text');
      if (typeof text === 'string' && field(part, 'thought') !== true) texts.push(text);
    }
  } else if (parts !== undefined) {
    return invalidResponse(answer, 'candidates[0].content.parts is not a list');
  }
  const raw = str(field(candidate, 'finishReason'));
  const finishReason = geminiFinishReason(raw);
  return {
    ...base,
    // A blocked candidate often has no content at all: that is no answer (null), not an empty one.
    content: texts.length > 0 ? texts.join('') : null,
    finishReason,
    safety:
      finishReason === 'content_filter'
        ? describeBlock(`gemini finishReason ${raw}`, field(candidate, 'safetyRatings'), str(field(candidate, 'finishMessage')))
        : null,
  };
}

/** A protobuf Duration in JSON (`"37.6s"`, `"2s"`) → ms, at most {@link MAX_RETRY_AFTER_MS}; null when not one. */
export function durationMs(value: unknown): number | null {
  const s = str(value);
  const m = s ? /^(\d{1,12}(?:\.\d{1,9})?)s$/.exec(s.trim()) : null;
  return m ? Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(m[1]) * 1000)) : null;
}

/** The wait a Google error asks for: `retryDelay` of its `google.rpc.RetryInfo` detail. */
export function retryInfoMs(error: unknown): number | null {
  const details = field(error, 'details');
  if (!Array.isArray(details)) return null;
  for (const d of details) {
    const type = str(field(d, '@type'));
    if (type?.endsWith('google.rpc.RetryInfo')) {
      const ms = durationMs(field(d, 'retryDelay'));
      if (ms !== null) return ms;
    }
  }
  return null;
}

/**
 * An error `{error: {code, message, status, details[]}}` (some Google front ends wrap it in a one-element list). The
 * status decides: 429 RESOURCE_EXHAUSTED, 500, 503 UNAVAILABLE and 504 retryable; 400 INVALID_ARGUMENT or
 * FAILED_PRECONDITION (e.g. the caller's location is not served), 403 and 404 final. A 429 carries no Retry-After: its
 * wait is in the RetryInfo detail, which is read first.
 */
export function parseGeminiError(answer: UpstreamAnswer): ChatFailure {
  const parsed = parseJson(answer.text);
  const json: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
  const error = field(json, 'error');
  const status = str(field(error, 'status'));
  const message = str(field(error, 'message')) ?? errorMessageOf(answer.text);
  const said = status && message ? `${status}: ${message}` : (message ?? status);
  return httpFailure(answer, said, { retryAfterMs: retryInfoMs(error) });
}

/**
 * Gemini generateContent (`POST {baseUrl}/models/{model}:generateContent`, `x-goog-api-key`), e.g.
 * `https://generativelanguage.googleapis.com/v1beta`. The key goes in the header, never in `?key=`: a URL is logged and
 * traced in places a header is not.
 */
export const geminiAdapter: ProviderAdapter = {
  kind: 'gemini',
  requestIdHeaders: [],
  // Google documents no header naming where a call ran (AI Studio lets the caller choose nothing).
  regionHeaders: [],
  prepare(req: ChatRequest, _provider: ProviderConfig): PreparedCall {
    return {
      url: `${req.baseUrl.replace(/\/+$/, '')}/${geminiModelPath(req.model)}:generateContent`,
      method: 'POST',
      headers: jsonHeaders(req.apiKey ? { 'x-goog-api-key': req.apiKey } : {}),
      body: geminiBody(req),
    };
  },
  parseSuccess: parseGeminiResponse,
  parseError: parseGeminiError,
};
