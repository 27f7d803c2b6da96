import { MAX_RETRY_AFTER_MS, PROVIDER_DEFAULTS, type ProviderConfig } from '@beacon/domain';
import type { ChatFailure, ChatRequest, ChatSuccess } from '../chat-provider.js';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from '../adapter.js';
import { errorMessageOf, field, httpFailure, parseJson, str } from '../adapter-util.js';
import { chatCompletionsBody, jsonHeaders, parseChatCompletion } from './openai.adapter.js';

/** A base URL of the v1 route (`https://{res}.openai.azure.com/openai/v1`), which takes no `api-version`. */
const V1_ROUTE = /\/openai\/v1$/;

/**
 * Azure OpenAI chat completions. Two routes: the dated deployments route
 * (`{baseUrl}/openai/deployments/{deployment}/chat/completions?api-version=…`, where a dated version is required) and
 * the v1 route (`{baseUrl}` ending in `/openai/v1`, then `/chat/completions` with the deployment name as `model`).
 * Body and answer are OpenAI's; what differs is the key header, the safety system's signals and the retry hints.
 */
export const azureOpenAiAdapter: ProviderAdapter = {
  kind: 'azure-openai',
  requestIdHeaders: ['x-request-id', 'apim-request-id'],
  // Observed, not documented (providers research §2): probably the resource's region, not the serving data centre.
  regionHeaders: ['x-ms-region'],
  prepare(req: ChatRequest, provider: ProviderConfig): PreparedCall {
    const base = req.baseUrl.replace(/\/+$/, '');
    const deployment = provider.deployment ?? req.model;
    const headers = jsonHeaders(req.apiKey ? { 'api-key': req.apiKey } : {});
    if (V1_ROUTE.test(base)) {
      return { url: `${base}/chat/completions`, method: 'POST', headers, body: chatCompletionsBody(req, deployment) };
    }
    const version = provider.apiVersion ?? PROVIDER_DEFAULTS.azureApiVersion;
    return {
      url: `${base}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?api-version=${encodeURIComponent(version)}`,
      method: 'POST',
      headers,
      // The deployment in the path picks the model; `model` in the body is ignored there, sent only as a record.
      body: chatCompletionsBody(req),
    };
  },
  parseSuccess(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
    const r = parseChatCompletion(answer);
    if (!r.ok || r.finishReason !== 'content_filter') return r;
    const choices = field(parseJson(answer.text), 'choices');
    const results = field(Array.isArray(choices) ? (choices[0] as unknown) : undefined, 'content_filter_results');
    return { ...r, safety: safetyText('output', results) };
  },
  parseError(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
    const error = field(parseJson(answer.text), 'error');
    const code = str(field(error, 'code'));
    if (answer.status === 400 && code === 'content_filter') {
      // The prompt was blocked by Azure's safety system before the model saw it: the provider filtered this cell, a
      // result to record and label (`filtered`), not a failure to retry.
      const inner = field(error, 'innererror');
      return {
        ok: true,
        status: answer.status,
        requestId: answer.requestId,
        regionObserved: answer.regionObserved,
        latencyMs: answer.latencyMs,
        responseModel: null,
        content: null,
        refusal: null,
        finishReason: 'content_filter',
        inputTokens: null,
        outputTokens: null,
        usage: null,
        safety: safetyText('prompt', field(inner, 'content_filter_result'), str(field(inner, 'code'))),
      };
    }
    const message = errorMessageOf(answer.text);
    if (answer.status === 429 && (code === 'insufficient_quota' || str(field(error, 'type')) === 'insufficient_quota')) {
      // Out of quota, not rate-limited: no retry within the queue's window can succeed, and its Retry-After (if any)
      // is not a pacing hint. 402 Payment Required is the final status that a billing stop means.
      return httpFailure(answer, message, { status: 402 });
    }
    return httpFailure(answer, message, { retryAfterMs: retryAfterMs(answer.headers['retry-after-ms']) });
  },
};

/**
 * `retry-after-ms` (milliseconds, Azure's and OpenAI's finer hint), preferred to `retry-after` (whole seconds, which
 * rounds a sub-second wait up to 1 s); undefined when absent or unreadable, so {@link httpFailure} reads `retry-after`.
 */
function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+(?:\.\d+)?$/.test(header.trim())) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(header.trim())));
}

/**
 * What the safety system blocked: the categories marked `filtered: true` in a `content_filter_results` object
 * (`hate|sexual|violence|self_harm: {filtered, severity}`, `jailbreak`, `protected_material_*: {filtered, detected}`),
 * e.g. `azure content_filter on prompt (ResponsibleAIPolicyViolation; violence: high, jailbreak: detected)`.
 */
function safetyText(stage: 'prompt' | 'output', results: unknown, innerCode: string | null = null): string {
  const categories: string[] = [];
  if (results !== null && typeof results === 'object' && !Array.isArray(results)) {
    for (const [name, value] of Object.entries(results as Record<string, unknown>)) {
      if (field(value, 'filtered') !== true) continue;
      const severity = str(field(value, 'severity'));
      categories.push(severity ? `${name}: ${severity}` : field(value, 'detected') === true ? `${name}: detected` : name);
    }
  }
  const detail = [innerCode, categories.join(', ')].filter((s) => s).join('; ');
  return `azure content_filter on ${stage}${detail ? ` (${detail})` : ''}`.slice(0, 500);
}
