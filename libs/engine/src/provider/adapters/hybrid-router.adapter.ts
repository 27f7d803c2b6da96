import type { ProviderConfig } from '@beacon/domain';
import type { ChatFailure, ChatRequest, ChatSuccess } from '../chat-provider.js';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from '../adapter.js';
import { errorMessageOf, field, httpFailure, invalidResponse, parseJson, str, toInt } from '../adapter-util.js';
import { jsonHeaders } from './openai.adapter.js';

/**
 * The old Go runner's wire format for a system + user pair, sent as one `prompt` string
 * (`worker/helpers.go`, go-runner research §5): role names on their own lines, ending with an open assistant turn.
 */
export function hybridRouterPrompt(system: string, user: string): string {
  return `system\n${system}\nuser\n${user}\nassistant\n`;
}

/**
 * The old Project Beacon hybrid router (FastAPI, `Website/hybrid_router`), as the Go runner called it
 * (`internal/hybrid/client.go`, go-runner research §2.2 and §4): `POST {baseUrl}/inference` with
 * `{model, prompt, temperature, max_tokens, region_preference, cost_priority}`. It answers HTTP 200 for both outcomes:
 *
 * `{success, response, error, error_code, failure{code, message, transient, http_status, region, …}, provider_used,
 *   inference_time, cost_estimate, metadata{provider_type, region, model, receipt, failure}}`
 *
 * where `metadata.region` is the region of the provider the router picked and `metadata.receipt` the Modal receipt
 * (`execution_details{provider_id, region, model}`, `output{tokens_generated}`). The Go client's fallback paths
 * (`/api/v1/inference`, …) are not tried: one attempt is one call, and a 404 is final.
 */
export const hybridRouterAdapter: ProviderAdapter = {
  kind: 'hybrid-router',
  // The router sends none of its own; Railway's edge, where it was deployed, sends `x-railway-request-id`.
  requestIdHeaders: ['x-request-id', 'x-railway-request-id'],
  regionHeaders: [],
  prepare(req: ChatRequest, _provider: ProviderConfig): PreparedCall {
    return {
      url: `${req.baseUrl.replace(/\/+$/, '')}/inference`,
      method: 'POST',
      // The router took no key from the runner; one is sent as a bearer for a gateway in front of it.
      headers: jsonHeaders(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}),
      body: JSON.stringify({
        model: req.model,
        prompt: hybridRouterPrompt(req.system, req.user),
        temperature: req.temperature,
        max_tokens: req.maxTokens,
        // Beacon's canonical region ids (`us-east`, `eu-west`, `asia-pacific`) are the router's own names, which the
        // Go runner reached by mapping US/EU/APAC; it sent `eu-west` for anything else, which this does not imitate.
        // Without a region the key is left out and the router picks any healthy provider: `regionObserved` shows where.
        ...(req.regionId ? { region_preference: req.regionId } : {}),
        // As the Go runner sent it: the fastest healthy provider of the region, not the cheapest (the router's default).
        cost_priority: false,
      }),
    };
  },
  parseSuccess(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
    const json = parseJson(answer.text);
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return invalidResponse(answer, 'response is not a JSON object');
    const success = field(json, 'success');
    if (success === false) return routerFailure(answer, json);
    if (success !== true) return invalidResponse(answer, 'response has no boolean success');
    const content = field(json, 'response');
    if (typeof content !== 'string') return invalidResponse(answer, 'success without a response string');
    const metadata = field(json, 'metadata');
    const receipt = field(metadata, 'receipt');
    const execution = field(receipt, 'execution_details');
    const model = str(field(execution, 'model')) ?? str(field(metadata, 'model'));
    const region = str(field(execution, 'region')) ?? str(field(metadata, 'region'));
    const tokens = toInt(field(field(receipt, 'output'), 'tokens_generated'));
    const usage: Record<string, unknown> = {};
    for (const [key, value] of [
      ['tokens_generated', tokens],
      ['inference_time', field(json, 'inference_time')],
      ['cost_estimate', field(json, 'cost_estimate')],
      ['provider_used', field(json, 'provider_used')],
    ] as const) {
      if (typeof value === 'number' || typeof value === 'string') usage[key] = value;
    }
    return {
      ok: true,
      status: answer.status,
      requestId: answer.requestId,
      // The Modal receipt's region (where the function that answered is pinned), else the router's provider region;
      // both are the operator's claims, not a data centre's evidence.
      regionObserved: region ? region.slice(0, 200) : answer.regionObserved,
      latencyMs: answer.latencyMs,
      responseModel: model ? model.slice(0, 200) : null,
      content,
      refusal: null,
      // The router reports no stop reason (Modal's generate() does not return one).
      finishReason: null,
      // The prompt's token count is not reported; the receipt counts only the generated tokens.
      inputTokens: null,
      outputTokens: tokens,
      usage: Object.keys(usage).length > 0 ? usage : null,
    };
  },
  parseError(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
    // FastAPI's own errors: `{detail: "…"}`, or 422 `{detail: [{loc, msg, type}]}` for a body it refused.
    const detail = field(parseJson(answer.text), 'detail');
    const first = Array.isArray(detail) ? (detail[0] as unknown) : undefined;
    return httpFailure(answer, str(field(first, 'msg')) ?? errorMessageOf(answer.text));
  },
};

/**
 * `success: false` with HTTP 200: the router's `failure.transient` decides. Transient (no healthy provider, a Modal
 * 5xx, a timeout behind the router) is classified as 503, or the upstream's own retryable status; not transient
 * (a Modal 4xx) as that 4xx, else 400. A failure that says neither is read as a bad gateway (502, retryable): the
 * router only ever sends `transient: false` for an upstream 4xx, and the queue bounds the attempts anyway.
 */
function routerFailure(answer: UpstreamAnswer, json: unknown): ChatFailure {
  const failure = field(json, 'failure') ?? field(field(json, 'metadata'), 'failure');
  const transient = field(failure, 'transient');
  const upstream = toInt(field(failure, 'http_status'));
  const code = str(field(json, 'error_code')) ?? str(field(failure, 'code'));
  const said = str(field(json, 'error')) ?? str(field(failure, 'message')) ?? 'unsuccessful';
  // `metadata.region` is set only once a provider was picked; `failure.region` may be the region asked for.
  const region = str(field(field(json, 'metadata'), 'region'));
  const status =
    transient === true
      ? upstream !== null && (upstream >= 500 || upstream === 429 || upstream === 408)
        ? upstream
        : 503
      : transient === false
        ? upstream !== null && upstream >= 400 && upstream < 500
          ? upstream
          : 400
        : 502;
  const r = httpFailure(answer, code ? `${code}: ${said}` : said, { status });
  return { ...r, regionObserved: region ? region.slice(0, 200) : r.regionObserved };
}
