import { prop, scenarioOf, startFake, type FakeAnswer, type FakeRequest, type RunningFake } from './fake-server.js';

/** The key the fake accepts unless told another. */
export const ANTHROPIC_FAKE_KEY = 'sk-ant-api03-fake-0123456789abcdef';

/**
 * Anthropic's Messages API (`POST /v1/messages`) as its reference describes it, on loopback. It validates what the
 * real one does (the `anthropic-version` header, `x-api-key`, a JSON body with `model`, `messages`, a `max_tokens`,
 * `temperature` within 0..1) and answers by the `scenario:<name>` in the last user message:
 * - `ok` (default): text blocks after a thinking block, `end_turn`, usage with `inference_geo` (the request's, else `us`)
 * - `max-tokens`: cut at `max_tokens`; `no-geo`: usage without `inference_geo` and an `x-served-region` header
 * - `refusal`: partial text, `stop_reason: refusal` with `stop_details`
 * - `rate-limit` (429 with `retry-after: 17`), `spend-limit` (429 `enforced_spend_limit_reached`, no retry-after),
 *   `overloaded` (529), `api-error` (500), `permission` (403), `too-large` (413), `not-found` (404)
 * - `echo-key`: a 400 whose message and request-id header echo the key it was sent
 * - `hang`: never answers; `invalid-json`: a 200 of HTML
 */
export async function start(opts: { apiKey?: string } = {}): Promise<RunningFake> {
  const key = opts.apiKey ?? ANTHROPIC_FAKE_KEY;
  let n = 0;
  return startFake('/v1', (req) => {
    const requestId = `req_fake${String(++n).padStart(4, '0')}`;
    const a = answer(req, key, requestId);
    return a === 'hang' ? a : { ...a, headers: { 'request-id': requestId, ...a.headers } };
  });
}

function error(
  status: number,
  type: string,
  message: string,
  requestId: string,
  extra: Record<string, unknown> = {},
): Exclude<FakeAnswer, 'hang'> {
  return { status, json: { type: 'error', error: { type, message, ...extra }, request_id: requestId } };
}

function answer(req: FakeRequest, key: string, requestId: string): FakeAnswer {
  if (req.method !== 'POST' || req.url.split('?')[0] !== '/v1/messages') {
    return error(404, 'not_found_error', `${req.method} ${req.url} not found`, requestId);
  }
  if (!req.headers['anthropic-version']) return error(400, 'invalid_request_error', 'anthropic-version: header is required', requestId);
  if (!req.headers['x-api-key']) return error(401, 'authentication_error', 'x-api-key header is required', requestId);
  if (req.headers['x-api-key'] !== key) return error(401, 'authentication_error', 'invalid x-api-key', requestId);
  const body = req.body;
  if (body === undefined || typeof body !== 'object' || body === null) {
    return error(400, 'invalid_request_error', 'The request body is not valid JSON.', requestId);
  }
  const model = prop(body, 'model');
  if (typeof model !== 'string') return error(400, 'invalid_request_error', 'model: Field required', requestId);
  if (prop(body, 'max_tokens') === undefined) return error(400, 'invalid_request_error', 'max_tokens: Field required', requestId);
  const maxTokens = prop(body, 'max_tokens');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    return error(400, 'invalid_request_error', 'max_tokens: Input should be a valid integer greater than 0', requestId);
  }
  const temperature = prop(body, 'temperature');
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 1)) {
    return error(400, 'invalid_request_error', 'temperature: range: 0..1', requestId);
  }
  const messages = prop(body, 'messages');
  const last: unknown = Array.isArray(messages) ? messages.at(-1) : undefined;
  const content = prop(last, 'content');
  if (!Array.isArray(messages) || messages.length === 0 || prop(last, 'role') !== 'user' || typeof content !== 'string') {
    return error(400, 'invalid_request_error', 'messages: at least one message is required, the last from the user', requestId);
  }
  const system = prop(body, 'system');
  if (system !== undefined && typeof system !== 'string' && !Array.isArray(system)) {
    return error(400, 'invalid_request_error', 'system: Input should be a valid string or list', requestId);
  }
  const geo = prop(body, 'inference_geo');
  const usage = (output: number, withGeo = true) => ({
    input_tokens: 21,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
    service_tier: 'standard',
    ...(withGeo ? { inference_geo: typeof geo === 'string' ? geo : 'us' } : {}),
  });
  const message = (blocks: unknown[], stopReason: string, output: number, extra: Record<string, unknown> = {}, withGeo = true) => ({
    id: `msg_fake${requestId.slice(-4)}`,
    type: 'message',
    role: 'assistant',
    model,
    content: blocks,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usage(output, withGeo),
    ...extra,
  });

  switch (scenarioOf(content)) {
    case 'max-tokens':
      return { status: 200, json: message([{ type: 'text', text: 'The capital of France is' }], 'max_tokens', maxTokens) };
    case 'no-geo':
      return {
        status: 200,
        json: message([{ type: 'text', text: 'Paris.' }], 'end_turn', 3, {}, false),
        headers: { 'x-served-region': 'eu-west-1' },
      };
    case 'refusal':
      return {
        status: 200,
        json: message([{ type: 'text', text: 'Here is the first step:' }], 'refusal', 6, {
          stop_details: { type: 'refusal', category: 'cyber', explanation: 'The request asks for functional malware.' },
        }),
      };
    case 'rate-limit':
      return {
        ...error(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', requestId),
        headers: { 'retry-after': '17' },
      };
    case 'spend-limit':
      return error(429, 'rate_limit_error', 'You have reached your specified workspace API spend limit.', requestId, {
        details: { error_code: 'enforced_spend_limit_reached' },
      });
    case 'overloaded':
      return error(529, 'overloaded_error', 'Overloaded', requestId);
    case 'api-error':
      return error(500, 'api_error', 'Internal server error', requestId);
    case 'permission':
      return error(403, 'permission_error', 'Your API key does not have permission to use the specified resource.', requestId);
    case 'too-large':
      return error(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', requestId);
    case 'not-found':
      return error(404, 'not_found_error', `model: ${model}`, requestId);
    case 'echo-key':
      return {
        ...error(400, 'invalid_request_error', `x-api-key ${String(req.headers['x-api-key'])} is not allowed for this model`, requestId),
        headers: { 'request-id': `req_${String(req.headers['x-api-key'])}` },
      };
    case 'hang':
      return 'hang';
    case 'invalid-json':
      return { status: 200, text: '<html><body>502 Bad Gateway</body></html>' };
    default:
      return {
        status: 200,
        json: message(
          [
            { type: 'thinking', thinking: 'The user asks for a capital.', signature: 'sig' },
            { type: 'text', text: 'The capital of France ' },
            { type: 'text', text: 'is Paris.' },
          ],
          'end_turn',
          9,
        ),
      };
  }
}
