import type { ServerResponse } from 'node:http';
import { scenarioOf, sendJson, startFake, type FakeRequest, type FakeServer } from './fake-http.js';

/** The regions the fake router has a Modal provider for (asia-pacific was commented out in the real router). */
export const HYBRID_FAKE_REGIONS = ['us-east', 'eu-west'];

/**
 * The old Project Beacon hybrid router (FastAPI) as its source and the go-runner research (§2.2, §4) describe it:
 * `POST /inference` with `{model, prompt, temperature, max_tokens, region_preference, cost_priority}`, 422 `{detail:[…]}`
 * for a body it refuses, `{detail: "Not Found"}` elsewhere, and HTTP 200 for both outcomes:
 * `{success, response, error, error_code, failure, provider_used, inference_time, cost_estimate, metadata}`. A region
 * without a provider is `PROVIDER_UNAVAILABLE` (transient). The prompt picks the scenario (`[scenario:name]`): success,
 * fallback (served from another region), modal-4xx, modal-5xx, internal (uncaught: 500 text), gateway-502,
 * rate-limit, hang, invalid-json, echo-key.
 */
export function start(): Promise<FakeServer> {
  return startFake(answer);
}

function answer(req: FakeRequest, res: ServerResponse): void {
  if (req.method !== 'POST' || req.url !== '/inference') return sendJson(res, 404, { detail: 'Not Found' });
  const body = req.body as
    { model?: unknown; prompt?: unknown; temperature?: number; max_tokens?: number; region_preference?: string } | undefined;
  for (const name of ['model', 'prompt'] as const) {
    if (typeof body?.[name] !== 'string') {
      return sendJson(res, 422, { detail: [{ type: 'missing', loc: ['body', name], msg: 'Field required', input: body ?? null }] });
    }
  }
  const model = String(body!.model);
  const prompt = String(body!.prompt);
  const asked = body!.region_preference ?? null;
  const scenario = scenarioOf(prompt);
  switch (scenario) {
    case 'internal':
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Internal Server Error');
    case 'gateway-502':
      return sendJson(res, 502, { status: 'error', code: 502, message: 'Application failed to respond' });
    case 'rate-limit':
      return sendJson(res, 429, { detail: 'Too Many Requests' }, { 'retry-after': '4' });
    case 'hang':
      return;
    case 'invalid-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"success": true, "response": "Par');
    case 'echo-key':
      return sendJson(
        res,
        200,
        failed(asked, model, { code: 'ROUTER_INTERNAL_ERROR', transient: true, message: `bad auth ${String(req.headers.authorization)}` }),
      );
  }
  // Without a preference the real router takes any healthy provider (`select_provider`); the first here.
  const region = scenario === 'fallback' ? HYBRID_FAKE_REGIONS.find((r) => r !== asked)! : (asked ?? HYBRID_FAKE_REGIONS[0]!);
  if (!HYBRID_FAKE_REGIONS.includes(region)) {
    return sendJson(res, 200, {
      ...failed(null, model, { code: 'PROVIDER_UNAVAILABLE', transient: true, message: 'No healthy providers available' }),
      failure: {
        code: 'PROVIDER_UNAVAILABLE',
        stage: 'provider_selection',
        message: 'No healthy providers available',
        region: asked,
        model,
        transient: true,
      },
      metadata: { requested_region: asked ?? 'unknown' },
    });
  }
  if (scenario === 'modal-4xx') {
    return sendJson(
      res,
      200,
      failed(region, model, { code: 'PROVIDER_HTTP_400', transient: false, http_status: 400, message: 'Modal HTTP 400' }),
    );
  }
  if (scenario === 'modal-5xx') {
    return sendJson(
      res,
      200,
      failed(region, model, { code: 'PROVIDER_HTTP_503', transient: true, http_status: 503, message: 'Modal HTTP 503' }),
    );
  }
  const response = 'Paris is the capital of France.';
  sendJson(res, 200, {
    success: true,
    response,
    error: null,
    error_code: null,
    failure: null,
    provider_used: `modal-${region}`,
    inference_time: 2.31,
    cost_estimate: 0.000693,
    metadata: {
      provider_type: 'modal',
      region,
      model,
      receipt: {
        schema_version: 'v0.1.0',
        execution_details: {
          provider_id: `modal-${region}`,
          region,
          model,
          started_at: '2025-10-20T10:00:00Z',
          completed_at: '2025-10-20T10:00:02Z',
          duration: 2.3,
        },
        output: {
          response,
          prompt,
          tokens_generated: 9,
          metadata: { temperature: body!.temperature, max_tokens: body!.max_tokens, region_context: region },
        },
        provenance: { provider: 'modal', architecture: 'hf-transformers', model_registry: 'huggingface' },
      },
      failure: null,
    },
  });
}

/** A `success: false` answer as `HybridRouter._build_failure` shapes it. */
function failed(
  region: string | null,
  model: string,
  f: { code: string; transient: boolean; message: string; http_status?: number },
): Record<string, unknown> {
  const failure = {
    code: f.code,
    stage: 'provider_execution',
    component: 'hybrid_router',
    subcomponent: 'inference',
    message: f.message,
    ...(region ? { provider: `modal-${region}`, provider_type: 'modal', region } : {}),
    model,
    transient: f.transient,
    ...(f.http_status ? { http_status: f.http_status } : {}),
    timestamp: '2025-10-20T10:00:00Z',
  };
  return {
    success: false,
    response: null,
    error: f.message,
    error_code: f.code,
    failure,
    provider_used: region ? `modal-${region}` : '',
    inference_time: 0.4,
    cost_estimate: 0,
    metadata: region ? { provider_type: 'modal', region, model, receipt: null, failure } : {},
  };
}
