import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { scenarioOf, sendJson, startFake, type FakeRequest, type FakeServer } from './fake-http.js';

/** The key the fake accepts in `api-key`. */
export const AZURE_FAKE_KEY = 'azure-fake-key-0123456789abcdef';

/** Where the fake says calls ran (`x-ms-region`, observed on real resources). */
export const AZURE_FAKE_REGION = 'Sweden Central';

const NOT_FILTERED = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

/**
 * Azure OpenAI chat completions as its REST reference and content-filter docs describe them: the deployments route
 * (`/openai/deployments/{deployment}/chat/completions?api-version=…`, 404 `Resource not found` without an
 * api-version) and the v1 route (`/openai/v1/chat/completions`, deployment in `model`); `api-key` checked (401);
 * `x-request-id`, `apim-request-id` and `x-ms-region` on every answer. The user message picks the scenario
 * (`[scenario:name]`): success, prompt-filter, output-filter, rate-limit, rate-limit-ms, quota, overload, server-error,
 * hang, invalid-json, echo-key.
 */
export function start(): Promise<FakeServer> {
  return startFake(answer);
}

function answer(req: FakeRequest, res: ServerResponse): void {
  const ids = { 'x-request-id': randomUUID(), 'apim-request-id': randomUUID(), 'x-ms-region': AZURE_FAKE_REGION };
  const url = new URL(req.url, 'http://fake');
  const deploymentRoute = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname);
  const v1Route = url.pathname === '/openai/v1/chat/completions';
  if (req.method !== 'POST' || (!deploymentRoute && !v1Route) || (deploymentRoute && !url.searchParams.get('api-version'))) {
    return sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } }, ids);
  }
  const body = req.body as { model?: string; messages?: { role: string; content: string }[] } | undefined;
  const user = body?.messages?.find((m) => m.role === 'user')?.content;
  const scenario = scenarioOf(user);
  if (scenario === 'echo-key') {
    // Some gateways quote the key they refused: in the body and in a header.
    const key = String(req.headers['api-key'] ?? '');
    return sendJson(
      res,
      401,
      { error: { code: '401', message: `Incorrect API key provided: ${key}.` } },
      { ...ids, 'x-request-id': `req-${key}` },
    );
  }
  if (req.headers['api-key'] !== AZURE_FAKE_KEY) {
    return sendJson(
      res,
      401,
      {
        error: {
          code: '401',
          message:
            'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
        },
      },
      ids,
    );
  }
  const deployment = deploymentRoute ? decodeURIComponent(deploymentRoute[1]!) : (body?.model ?? 'unknown');
  switch (scenario) {
    case 'prompt-filter':
      return sendJson(
        res,
        400,
        {
          error: {
            message:
              "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
            type: null,
            param: 'prompt',
            code: 'content_filter',
            status: 400,
            innererror: {
              code: 'ResponsibleAIPolicyViolation',
              content_filter_result: {
                ...NOT_FILTERED,
                violence: { filtered: true, severity: 'high' },
                jailbreak: { filtered: true, detected: true },
              },
            },
          },
        },
        ids,
      );
    case 'output-filter':
      return sendJson(
        res,
        200,
        completion(deployment, '', 'content_filter', { ...NOT_FILTERED, hate: { filtered: true, severity: 'medium' } }),
        ids,
      );
    case 'rate-limit':
      return sendJson(
        res,
        429,
        {
          error: {
            code: '429',
            message:
              'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 7 seconds.',
          },
        },
        { ...ids, 'retry-after': '7', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '0' },
      );
    case 'rate-limit-ms':
      return sendJson(
        res,
        429,
        { error: { code: '429', message: 'Rate limit is exceeded. Try again in 2 seconds.' } },
        { ...ids, 'retry-after': '2', 'retry-after-ms': '1500' },
      );
    case 'quota':
      return sendJson(
        res,
        429,
        {
          error: {
            message: 'You exceeded your current quota, please check your plan and billing details.',
            type: 'insufficient_quota',
            param: null,
            code: 'insufficient_quota',
          },
        },
        { ...ids, 'retry-after': '60' },
      );
    case 'overload':
      return sendJson(
        res,
        503,
        { error: { code: 'ServiceUnavailable', message: 'The engine is currently overloaded, please try again later.' } },
        ids,
      );
    case 'server-error':
      return sendJson(
        res,
        500,
        { error: { code: 'InternalServerError', message: 'The server had an error while processing your request.' } },
        ids,
      );
    case 'hang':
      return; // never answers: the client's timeout ends it
    case 'invalid-json':
      res.writeHead(200, { 'content-type': 'application/json', ...ids });
      return void res.end('{"choices": [');
    default:
      return sendJson(res, 200, completion(deployment, 'Paris is the capital of France.', 'stop', NOT_FILTERED), ids);
  }
}

function completion(model: string, content: string, finishReason: string, filterResults: Record<string, unknown>): unknown {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: model === 'gpt-4o' || model === 'gpt-4o-prod' ? 'gpt-4o-2024-08-06' : model,
    prompt_filter_results: [{ prompt_index: 0, content_filter_results: NOT_FILTERED }],
    choices: [
      {
        index: 0,
        finish_reason: finishReason,
        message: { role: 'assistant', content, refusal: null },
        content_filter_results: filterResults,
      },
    ],
    usage: { prompt_tokens: 24, completion_tokens: 7, total_tokens: 31 },
  };
}
