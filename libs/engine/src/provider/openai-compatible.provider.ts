import { parseRetryAfter, redactSecrets, secrets } from '@beacon/domain';
import { injectTraceHeaders } from '@beacon/observability';
import { Agent, errors as undiciErrors, request } from 'undici';
import type { ChatFailure, ChatProvider, ChatRequest, ChatSuccess } from './chat-provider.js';

/** Default response cap (`limits.maxResponseBytes`). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** A response body over the cap: the stream was abandoned there. */
class ResponseTooLarge extends Error {
  constructor(
    readonly cap: number,
    announced: number | null,
  ) {
    super(
      announced !== null
        ? `response body of ${announced} bytes (Content-Length) is over the ${cap} bytes cap`
        : `response body is over the ${cap} bytes cap`,
    );
  }
}

/**
 * OpenAI-compatible chat-completions over undici, with its own retries off: every retry goes through the queue.
 * One connection pool per endpoint origin, sized to the calls the engine may have in flight there (regions served
 * from one host share its pool, so their concurrencies add up).
 */
export class OpenAiCompatibleProvider implements ChatProvider {
  private readonly agents = new Map<string, Agent>();

  /** `connections`: per origin (e.g. from {@link connectionsByOrigin}), or one number for every origin. */
  constructor(private readonly connections: number | Map<string, number> = 64) {}

  async chat(req: ChatRequest): Promise<ChatSuccess | ChatFailure> {
    const started = performance.now();
    const url = `${req.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = AbortSignal.any([req.signal, timeout]);
    // traceparent of the active (call) span, so a gateway joins the attempt's trace: undici is not instrumented.
    const headers = injectTraceHeaders({ 'content-type': 'application/json', accept: 'application/json' });
    if (req.apiKey) {
      headers.authorization = `Bearer ${req.apiKey}`;
      secrets.add(req.apiKey); // whatever key is sent is hidden in whatever comes back (already known: a set lookup)
    }
    const body = JSON.stringify({
      model: req.model,
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content: req.user },
      ],
      temperature: req.temperature,
      max_tokens: req.maxTokens,
    });
    const elapsed = () => Math.round(performance.now() - started);
    let status: number | null = null;
    let requestId: string | null = null;
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        signal,
        dispatcher: this.agent(url),
        maxRedirections: 0,
      } as Parameters<typeof request>[1]);
      status = res.statusCode;
      requestId = redactNullable(header(res.headers['x-request-id']));
      // An upstream may echo the key it was sent (`Incorrect API key provided: sk-…`): hide every secret in the whole
      // body before anything reads, parses or clips it, so no stored, logged or traced part of it can hold one.
      const text = redactSecrets(
        await readCapped(res.body, req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, header(res.headers['content-length'])),
      );
      if (status < 200 || status >= 300) {
        return {
          ok: false,
          status,
          body: text.slice(0, 2000),
          requestId,
          latencyMs: elapsed(),
          failure: {
            kind: 'http',
            status,
            retryAfterMs: parseRetryAfter(header(res.headers['retry-after'])),
            message: errorMessage(status, text),
          },
        };
      }
      return parseCompletion(text, status, requestId, elapsed());
    } catch (err) {
      if (err instanceof ResponseTooLarge) {
        return {
          ok: false,
          status,
          body: null,
          requestId,
          latencyMs: elapsed(),
          failure: { kind: 'response_too_large', status: status ?? undefined, message: err.message },
        };
      }
      const kind = req.signal.aborted ? 'aborted' : timeout.aborted ? 'timeout' : 'network';
      const message =
        kind === 'timeout'
          ? `no answer within ${req.timeoutMs} ms`
          : kind === 'aborted'
            ? `aborted: ${String(req.signal.reason ?? 'cancelled')}`
            : describe(err);
      return { ok: false, status, body: null, requestId, latencyMs: elapsed(), failure: { kind, status: status ?? undefined, message } };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close().catch(() => undefined)));
    this.agents.clear();
  }

  private agent(url: string): Agent {
    const origin = new URL(url).origin;
    let agent = this.agents.get(origin);
    if (!agent) {
      const connections = typeof this.connections === 'number' ? this.connections : (this.connections.get(origin) ?? 64);
      agent = new Agent({ connections, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
      this.agents.set(origin, agent);
    }
    return agent;
  }
}

function parseCompletion(text: string, status: number, requestId: string | null, latencyMs: number): ChatSuccess | ChatFailure {
  const invalid = (message: string): ChatFailure => ({
    ok: false,
    status,
    body: text.slice(0, 2000),
    requestId,
    latencyMs,
    failure: { kind: 'invalid_response', status, message },
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid('response is not JSON');
  }
  const choice = (json as { choices?: unknown[] })?.choices?.[0] as
    { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown } | undefined;
  if (!choice || typeof choice !== 'object' || !choice.message || typeof choice.message !== 'object') {
    // Some gateways answer 200 with an error object instead of an HTTP error.
    const error = (json as { error?: { message?: unknown } | string })?.error;
    const said = typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : null;
    return invalid(said ? `response is an error: ${said.slice(0, 300)}` : 'response has no choices[0].message');
  }
  const { refusal } = choice.message;
  const content = contentText(choice.message.content);
  if (content === undefined) return invalid('choices[0].message.content is neither a string nor a list of text parts');
  const usage = (json as { usage?: Record<string, unknown> }).usage ?? null;
  const model = (json as { model?: unknown }).model;
  return {
    ok: true,
    responseModel: typeof model === 'string' && model ? model.slice(0, 200) : null,
    status,
    requestId,
    latencyMs,
    content,
    refusal: typeof refusal === 'string' && refusal ? refusal : null,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
    inputTokens: toInt(usage?.prompt_tokens),
    outputTokens: toInt(usage?.completion_tokens),
    usage,
  };
}

/**
 * The message text: a string, null, or a list of content parts (`[{type: "text", text}]`, as some servers send) whose
 * text parts are joined; other parts (thinking, images) are not the answer. `undefined` when it is none of these.
 */
function contentText(content: unknown): string | null | undefined {
  if (content === null || content === undefined) return null;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') parts.push(part);
    else if (
      part &&
      typeof part === 'object' &&
      (part as { type?: unknown }).type === 'text' &&
      typeof (part as { text?: unknown }).text === 'string'
    ) {
      parts.push((part as { text: string }).text);
    } else if (!part || typeof part !== 'object') return undefined;
  }
  return parts.join('');
}

/**
 * The body as text, read no further than `cap` bytes: an announced length over the cap is refused before reading,
 * and a stream that grows past it is destroyed there (the connection is dropped, not drained), so an upstream cannot
 * make the runner buffer more than the cap.
 */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy?: () => void },
  cap: number,
  contentLength: string | null,
): Promise<string> {
  const announced = contentLength !== null && /^\d{1,16}$/.test(contentLength) ? Number(contentLength) : null;
  if (announced !== null && announced > cap) {
    body.destroy?.();
    throw new ResponseTooLarge(cap, announced);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > cap) {
      body.destroy?.();
      throw new ResponseTooLarge(cap, null);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorMessage(status: number, text: string): string {
  try {
    const msg = (JSON.parse(text) as { error?: { message?: string } })?.error?.message;
    if (msg) return `HTTP ${status}: ${msg.slice(0, 300)}`;
  } catch {
    /* not JSON */
  }
  return `HTTP ${status}`;
}

function redactNullable(text: string | null): string | null {
  return text === null ? null : redactSecrets(text);
}

function header(v: string | string[] | undefined): string | null {
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function toInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null;
}

function describe(err: unknown): string {
  if (err instanceof undiciErrors.UndiciError) return `${err.code ?? err.name}: ${err.message}`;
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code ?? e?.message ?? String(err);
}

/** Sum of the regions' concurrency per endpoint origin. */
export function connectionsByOrigin(regions: { baseUrl: string; concurrency: number }[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const r of regions) {
    try {
      const origin = new URL(r.baseUrl).origin;
      map.set(origin, (map.get(origin) ?? 0) + r.concurrency);
    } catch {
      /* an invalid URL fails at call time with a clear error */
    }
  }
  return map;
}
