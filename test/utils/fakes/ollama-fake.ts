import type { ServerResponse } from 'node:http';
import { scenarioOf, sendJson, startFake, type FakeRequest, type FakeServer } from './fake-http.js';

/** The models the fake has pulled; any other is 404 `model '…' not found`. */
export const OLLAMA_FAKE_MODELS = ['llama3.2:1b', 'qwen3:0.6b'];

const ANSWER = ['Paris', ' is the capital', ' of France.'];

/**
 * Ollama's `POST /api/chat` as its API reference (`docs/api.md`, `docs/api/errors.mdx`) describes it: one JSON object
 * when `stream` is false, NDJSON chunks ending with a `done: true` line otherwise; errors as `{error: "…"}`. With `key`,
 * a bearer token is required (ollama.com). The user message picks the scenario (`[scenario:name]`): success, length,
 * thinking, streams-anyway, mid-stream-error, bad-request, rate-limit, server-error, queue-full, hang, invalid-json,
 * echo-key.
 */
export function start(opts: { key?: string } = {}): Promise<FakeServer> {
  return startFake((req, res) => answer(req, res, opts.key ?? null));
}

function answer(req: FakeRequest, res: ServerResponse, key: string | null): void {
  if (req.method !== 'POST' || req.url !== '/api/chat')
    return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  const body = req.body as
    { model?: string; stream?: boolean; messages?: { role: string; content: string }[]; options?: Record<string, unknown> } | undefined;
  if (!body || typeof body.model !== 'string') return sendJson(res, 400, { error: 'model is required' });
  const scenario = scenarioOf(body.messages?.find((m) => m.role === 'user')?.content);
  if (scenario === 'echo-key') return sendJson(res, 401, { error: `unauthorized: ${String(req.headers.authorization)}` });
  if (key !== null && req.headers.authorization !== `Bearer ${key}`) return sendJson(res, 401, { error: 'unauthorized' });
  if (!OLLAMA_FAKE_MODELS.includes(body.model)) return sendJson(res, 404, { error: `model '${body.model}' not found` });
  const model = body.model;
  switch (scenario) {
    case 'bad-request':
      return sendJson(res, 400, { error: 'invalid options: num_ctx must be a positive integer' });
    case 'rate-limit':
      return sendJson(res, 429, { error: 'you have reached your hourly usage limit' }, { 'retry-after': '3' });
    case 'server-error':
      return sendJson(res, 500, { error: 'llama runner process has terminated: exit status 2' });
    case 'queue-full':
      return sendJson(res, 503, { error: 'server busy, please try again.  maximum pending requests exceeded' });
    case 'hang':
      return;
    case 'invalid-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"model": "llama3.2:1b", "message": {');
    case 'streams-anyway':
      return stream(res, model, ANSWER, 'stop');
    case 'mid-stream-error':
      return stream(res, model, ANSWER.slice(0, 2), null, 'an error was encountered while running the model: unexpected EOF');
  }
  const doneReason = scenario === 'length' ? 'length' : 'stop';
  const parts = scenario === 'length' ? ANSWER.slice(0, 2) : ANSWER;
  if (body.stream !== false) return stream(res, model, parts, doneReason);
  sendJson(res, 200, {
    model,
    created_at: new Date().toISOString(),
    message: {
      role: 'assistant',
      content: parts.join(''),
      ...(scenario === 'thinking' ? { thinking: 'The user asks for a capital. France: Paris.' } : {}),
    },
    done: true,
    done_reason: doneReason,
    ...counts(parts.length),
  });
}

/** NDJSON: one line a chunk, then the `done` line with the counts, or an `{error}` line where the model failed. */
function stream(res: ServerResponse, model: string, parts: string[], doneReason: string | null, error?: string): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const part of parts) {
    res.write(
      `${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: part }, done: false })}\n`,
    );
  }
  if (error) return void res.end(`${JSON.stringify({ error })}\n`);
  res.end(
    `${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: '' }, done: true, done_reason: doneReason, ...counts(parts.length) })}\n`,
  );
}

function counts(evalCount: number): Record<string, number> {
  return {
    total_duration: 512_000_000,
    load_duration: 2_000_000,
    prompt_eval_count: 26,
    prompt_eval_duration: 90_000_000,
    eval_count: evalCount,
    eval_duration: 400_000_000,
  };
}
