import { prop, scenarioOf, startFake, type FakeAnswer, type FakeRequest, type RunningFake } from './fake-server.js';

/** The key the fake accepts unless told another. */
export const GEMINI_FAKE_KEY = 'AIzaSyFake-0123456789abcdefghijklmnop';

/** The top-level fields of a GenerateContentRequest; any other is refused as the real API refuses it. */
const REQUEST_FIELDS = new Set([
  'contents',
  'systemInstruction',
  'generationConfig',
  'safetySettings',
  'tools',
  'toolConfig',
  'cachedContent',
]);
const GENERATION_FIELDS = new Set([
  'temperature',
  'maxOutputTokens',
  'topP',
  'topK',
  'candidateCount',
  'stopSequences',
  'seed',
  'responseMimeType',
  'responseSchema',
  'thinkingConfig',
  'presencePenalty',
  'frequencyPenalty',
]);

/**
 * Gemini's `generateContent` on AI Studio (`POST /v1beta/models/{model}:generateContent`) as its reference
 * describes it, on loopback. It validates what the real one does: the key (`x-goog-api-key`, or `?key=`, which the
 * fake records so a test can see it was not used; none: 403 PERMISSION_DENIED; a wrong one: 400 INVALID_ARGUMENT
 * `API_KEY_INVALID`, which is what Google sends for a bad key), a JSON body with non-empty `contents` of text parts
 * and no unknown field. The model `gemini-missing` is 404. The `scenario:<name>` in the user text picks the answer:
 * - `ok` (default): a thought part then the answer, STOP, usageMetadata, modelVersion, responseId
 * - `max-tokens`: MAX_TOKENS; `safety`: a SAFETY candidate with no content and a HIGH blocked rating
 * - `prompt-blocked`: 200 with no candidates, only `promptFeedback.blockReason`
 * - `rate-limit`: 429 RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo `37.6s`, no Retry-After
 * - `unavailable` (503), `internal` (500), `deadline` (504), `precondition` (400 FAILED_PRECONDITION), `denied` (403)
 * - `echo-key`: a 400 whose message echoes the key it was sent
 * - `hang`: never answers; `invalid-json`: a 200 of HTML
 */
export async function start(opts: { apiKey?: string } = {}): Promise<RunningFake> {
  const key = opts.apiKey ?? GEMINI_FAKE_KEY;
  let n = 0;
  return startFake('/v1beta', (req) => answer(req, key, ++n));
}

function error(code: number, status: string, message: string, details: unknown[] = []): FakeAnswer {
  return { status: code, json: { error: { code, message, status, ...(details.length > 0 ? { details } : {}) } } };
}

const NEGLIGIBLE = [
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
].map((category) => ({ category, probability: 'NEGLIGIBLE' }));

/** `contents` as the API wants it: a non-empty list of {role?, parts: [{text}] non-empty}; the user text, or null. */
function userText(contents: unknown): string | null {
  if (!Array.isArray(contents) || contents.length === 0) return null;
  let text: string | null = null;
  for (const c of contents) {
    const parts = prop(c, 'parts');
    if (!Array.isArray(parts) || parts.length === 0) return null;
    for (const p of parts) {
      const t = prop(p, 'text');
      if (typeof t !== 'string') return null;
      text = t;
    }
  }
  return text;
}

function answer(req: FakeRequest, key: string, n: number): FakeAnswer {
  const [path, query = ''] = req.url.split('?') as [string, string?];
  const route = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(path);
  if (req.method !== 'POST' || !route) return error(404, 'NOT_FOUND', `Method not found: ${req.method} ${path}`);
  const given = req.headers['x-goog-api-key'] ?? new URLSearchParams(query).get('key') ?? undefined;
  if (!given) {
    return error(
      403,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  if (given !== key) {
    return error(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
    ]);
  }
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unexpected token.');
  }
  for (const name of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(name))
      return error(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`);
  }
  const config = prop(body, 'generationConfig');
  for (const name of Object.keys(config !== null && typeof config === 'object' ? config : {})) {
    if (!GENERATION_FIELDS.has(name)) {
      return error(
        400,
        'INVALID_ARGUMENT',
        `Invalid JSON payload received. Unknown name "${name}" at 'generation_config': Cannot find field.`,
      );
    }
  }
  const system = prop(body, 'systemInstruction');
  if (system !== undefined && userText([system]) === null)
    return error(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.system_instruction.parts: must not be empty');
  const text = userText(prop(body, 'contents'));
  if (text === null) return error(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified');
  const model = decodeURIComponent(route[1]!);
  if (model === 'gemini-missing')
    return error(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);

  const meta = { modelVersion: `${model}-001`, responseId: `fakeResp${String(n).padStart(4, '0')}` };
  const usageMetadata = (candidates: number) => ({
    promptTokenCount: 14,
    ...(candidates > 0 ? { candidatesTokenCount: candidates, thoughtsTokenCount: 25 } : {}),
    totalTokenCount: 14 + candidates + (candidates > 0 ? 25 : 0),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 14 }],
  });
  const maxOutput = prop(config, 'maxOutputTokens');

  switch (scenarioOf(text)) {
    case 'max-tokens':
      return {
        status: 200,
        json: {
          candidates: [{ content: { role: 'model', parts: [{ text: 'The capital of France' }] }, finishReason: 'MAX_TOKENS', index: 0 }],
          usageMetadata: usageMetadata(typeof maxOutput === 'number' ? maxOutput : 4),
          ...meta,
        },
      };
    case 'safety':
      return {
        status: 200,
        json: {
          candidates: [
            {
              finishReason: 'SAFETY',
              index: 0,
              safetyRatings: [
                { category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true },
                ...NEGLIGIBLE.filter((r) => r.category !== 'HARM_CATEGORY_HARASSMENT'),
              ],
            },
          ],
          usageMetadata: usageMetadata(0),
          ...meta,
        },
      };
    case 'prompt-blocked':
      return {
        status: 200,
        json: {
          promptFeedback: {
            blockReason: 'SAFETY',
            safetyRatings: [
              { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
              ...NEGLIGIBLE.filter((r) => r.category !== 'HARM_CATEGORY_DANGEROUS_CONTENT'),
            ],
          },
          usageMetadata: usageMetadata(0),
          ...meta,
        },
      };
    case 'rate-limit':
      return error(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
              quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            },
          ],
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [{ description: 'Learn more', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37.6s' },
      ]);
    case 'unavailable':
      return error(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    case 'internal':
      return error(
        500,
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
    case 'deadline':
      return error(504, 'DEADLINE_EXCEEDED', 'The request timed out. Please try again.');
    case 'precondition':
      return error(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.');
    case 'denied':
      return error(403, 'PERMISSION_DENIED', 'The caller does not have permission');
    case 'echo-key':
      return error(400, 'INVALID_ARGUMENT', `API key ${String(given)} cannot be used with this model.`);
    case 'hang':
      return 'hang';
    case 'invalid-json':
      return { status: 200, text: '<html><body>502 Bad Gateway</body></html>' };
    default:
      return {
        status: 200,
        json: {
          candidates: [
            {
              content: {
                role: 'model',
                parts: [{ text: 'France has one capital.', thought: true }, { text: 'The capital of France ' }, { text: 'is Paris.' }],
              },
              finishReason: 'STOP',
              index: 0,
              safetyRatings: NEGLIGIBLE,
            },
          ],
          usageMetadata: usageMetadata(8),
          ...meta,
        },
      };
  }
}
