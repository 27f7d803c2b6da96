import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { estimateTokens, refusalFor, simulateAnswer } from './answer-model.js';
import type { FaultInjector } from './fault-injector.js';
import type { RefusalDecider } from './refusal-override.js';
import { readBody, sendJson } from './http-io.js';
import { ApiError, completionBody, modelsBody, parseChatRequest, type ChatRequest } from './openai-protocol.js';
import type { StatsRecorder } from './simulator-stats.js';
import type { FaultSettings } from './simulator.types.js';

/** What the region API handler needs from the running simulator. */
export interface RegionApiContext {
  regions: readonly string[];
  apiKey: string | null;
  seed: number;
  latencyScale: number;
  startedAt: number;
  faults(): FaultSettings;
  injector: FaultInjector;
  /** Applies the `refusals` overrides. */
  refusals: RefusalDecider;
  stats: StatsRecorder;
  /** Responses held open (hanging or waiting for their latency); ended by close(). */
  pending: Set<() => void>;
  /** Chat completions in flight, each with a promise of its response's `close` event. */
  open: Map<ServerResponse, Promise<void>>;
}

/** Handles `/<region>/v1/...`: chat completions and the models listing, with auth, validation and faults. */
export async function handleRegionApi(
  ctx: RegionApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  parts: readonly string[],
): Promise<void> {
  const requestId = `req_${randomUUID().replace(/-/g, '')}`;
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed || res.headersSent) return;
    ctx.stats.status(status);
    sendJson(res, status, body, { ...headers, 'x-request-id': requestId });
  };
  const fail = (err: ApiError) => send(err.status, err.body(), err.headers);
  ctx.stats.request();
  const [region, version, ...rest] = parts;
  const route = rest.join('/');
  if (!region || !ctx.regions.includes(region) || version !== 'v1') {
    return fail(
      new ApiError(
        404,
        `Unknown region or path '${req.url ?? ''}'; regions: ${ctx.regions.join(', ')} under /<region>/v1.`,
        'invalid_request_error',
        null,
        'unknown_url',
      ),
    );
  }
  if (!authorised(ctx.apiKey, req.headers.authorization)) {
    return fail(
      new ApiError(
        401,
        'Incorrect or missing API key; send Authorization: Bearer <key>.',
        'invalid_request_error',
        null,
        'invalid_api_key',
      ),
    );
  }
  if (route === 'models') {
    if (req.method !== 'GET') return fail(methodNotAllowed(req.method, 'GET'));
    return send(200, modelsBody(ctx.startedAt));
  }
  if (route !== 'chat/completions')
    return fail(new ApiError(404, `Unknown path '${req.url ?? ''}'.`, 'invalid_request_error', null, 'unknown_url'));
  if (req.method !== 'POST') return fail(methodNotAllowed(req.method, 'POST'));
  ctx.stats.enter();
  ctx.open.set(
    res,
    new Promise<void>((resolve) =>
      res.once('close', () => {
        ctx.stats.leave();
        ctx.open.delete(res);
        resolve();
      }),
    ),
  );
  let chat: ChatRequest;
  try {
    chat = parseChatRequest(await readBody(req));
  } catch (err) {
    if (err instanceof ApiError) return fail(err);
    throw err;
  }
  const system = chat.messages.find((m) => m.role === 'system')?.content ?? '';
  const user = chat.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  const cell = ctx.stats.call({ region, model: chat.model.id, system, user });
  const settings = ctx.faults();
  const { fault, latencyUnit } = ctx.injector.decide(settings, region, chat.model.id, Date.now());
  switch (fault.kind) {
    case 'outage':
      return fail(
        new ApiError(
          503,
          `Region ${region} is unavailable for ${chat.model.id} (simulated outage).`,
          'server_error',
          null,
          'service_unavailable',
        ),
      );
    case 'error':
      return fail(
        new ApiError(
          fault.status,
          `Simulated upstream error ${fault.status}.`,
          fault.status === 529 ? 'overloaded_error' : 'server_error',
          null,
          null,
        ),
      );
    case 'rate-limit':
      return fail(
        new ApiError(
          429,
          `Rate limit reached for ${chat.model.id} in ${region} (simulated); retry after ${settings.retryAfterSeconds}s.`,
          'rate_limit_error',
          null,
          'rate_limit_exceeded',
          {
            'retry-after': String(Math.ceil(settings.retryAfterSeconds)),
            'retry-after-ms': String(Math.round(settings.retryAfterSeconds * 1000)),
          },
        ),
      );
    case 'bad-request':
      return fail(new ApiError(400, 'Simulated bad request.', 'invalid_request_error', null, 'simulated_bad_request'));
    case 'hang':
      ctx.stats.status('hang');
      return hold(ctx, res, null);
    case 'none':
      break;
  }
  const simulated = simulateAnswer({
    region,
    model: chat.model.id,
    system,
    user,
    seed: ctx.seed,
    ...(chat.maxTokens ? { maxTokens: chat.maxTokens } : {}),
  });
  const answer = ctx.refusals.refuses(settings.refusals, chat.model.id, region, user)
    ? { ...simulated, content: refusalFor(user), finishReason: 'stop' as const, completionTokens: estimateTokens(refusalFor(user)) }
    : simulated;
  const promptTokens = chat.messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  const respond = () => {
    if (res.destroyed) return;
    cell.answered += 1;
    send(
      200,
      completionBody({
        id: `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
        model: chat.requestedModel,
        content: answer.content,
        finishReason: answer.finishReason,
        promptTokens,
        completionTokens: answer.completionTokens,
      }),
    );
  };
  const latency = settings.latencyMs
    ? settings.latencyMs.min + (settings.latencyMs.max - settings.latencyMs.min) * latencyUnit
    : answer.latencyMs * ctx.latencyScale;
  if (latency <= 0) return respond();
  hold(ctx, res, { ms: Math.round(latency), then: respond });
}

/** Keeps `res` open, for ever (a hang) or until a timer fires; the client going away or close() ends it. */
function hold(ctx: RegionApiContext, res: ServerResponse, timer: { ms: number; then: () => void } | null): void {
  let handle: NodeJS.Timeout | undefined;
  const end = () => {
    clearTimeout(handle);
    ctx.pending.delete(end);
    if (!res.writableEnded) res.destroy();
  };
  ctx.pending.add(end);
  res.once('close', () => {
    clearTimeout(handle);
    ctx.pending.delete(end);
  });
  if (timer) {
    handle = setTimeout(() => {
      ctx.pending.delete(end);
      timer.then();
    }, timer.ms);
  }
}

function authorised(apiKey: string | null, header: string | undefined): boolean {
  if (apiKey === null) return true;
  const expected = Buffer.from(`Bearer ${apiKey}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function methodNotAllowed(method: string | undefined, allowed: string): ApiError {
  return new ApiError(405, `Method ${method ?? '?'} not allowed; use ${allowed}.`, 'invalid_request_error', null, 'method_not_allowed', {
    allow: allowed,
  });
}
