import { openAiProvider, redactSecrets, secrets, type ProviderKind } from '@beacon/domain';
import { Agent, errors as undiciErrors, request } from 'undici';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from './adapter.js';
import { ADAPTERS } from './adapters/index.js';
import { ProviderQuotas } from './quota-bucket.js';
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
 * Every provider kind over undici, with its own retries off: every retry goes through the queue. The request's
 * `provider.kind` picks the {@link ProviderAdapter} that builds the call and reads the answer; this transport owns
 * what must be the same for all of them: one connection pool per endpoint origin (sized to the calls the engine may
 * have in flight there: regions served from one host share its pool, so their concurrencies add up), the timeout,
 * the response cap, secret redaction, and network failures.
 */
export class HttpChatProvider implements ChatProvider {
  private readonly agents = new Map<string, Agent>();
  private readonly quotas = new ProviderQuotas();

  /** `connections`: per origin (e.g. from {@link connectionsByOrigin}), or one number for every origin. */
  constructor(
    private readonly connections: number | Map<string, number> = 64,
    private readonly adapters: ReadonlyMap<ProviderKind, ProviderAdapter> = ADAPTERS,
  ) {}

  async chat(req: ChatRequest): Promise<ChatSuccess | ChatFailure> {
    const provider = req.provider ?? openAiProvider(req.baseUrl, null);
    // The account's quota is waited for before the call's timeout and latency start: pacing is not the upstream's delay.
    await this.quotas.admit(provider, Math.ceil((req.system.length + req.user.length) / 4) + req.maxTokens, req.signal);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const adapter = this.adapters.get(provider.kind);
    if (!adapter) {
      return {
        ok: false,
        status: null,
        body: null,
        requestId: null,
        latencyMs: 0,
        failure: { kind: 'invalid_response', message: `no adapter for provider kind ${provider.kind}` },
      };
    }
    // Whatever key is sent is hidden in whatever comes back (already known: a set lookup).
    for (const secret of [req.apiKey, req.credentials?.accessKeyId, req.credentials?.sessionToken]) if (secret) secrets.add(secret);
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = AbortSignal.any([req.signal, timeout]);
    let status: number | null = null;
    let requestId: string | null = null;
    let regionObserved: string | null = null;
    let call: PreparedCall;
    try {
      call = await adapter.prepare(req, provider);
    } catch (err) {
      // A call that cannot be built (a configuration the adapter cannot use) fails the same way every time: final.
      const message = `cannot make a ${provider.kind} call: ${redactSecrets(err instanceof Error ? err.message : String(err)).slice(0, 300)}`;
      return { ok: false, status: null, body: null, requestId: null, latencyMs: elapsed(), failure: { kind: 'invalid_response', message } };
    }
    try {
      const res = await request(call.url, {
        method: call.method,
        headers: call.headers,
        body: call.body,
        signal,
        dispatcher: this.agent(call.url),
        maxRedirections: 0,
      } as Parameters<typeof request>[1]);
      status = res.statusCode;
      const headers = flatHeaders(res.headers);
      requestId = firstHeader(headers, adapter.requestIdHeaders);
      regionObserved = firstHeader(
        headers,
        provider.regionHeader ? [provider.regionHeader.toLowerCase(), ...adapter.regionHeaders] : adapter.regionHeaders,
      );
      // An upstream may echo the key it was sent (`Incorrect API key provided: sk-…`): hide every secret in the whole
      // body before anything reads, parses or clips it, so no stored, logged or traced part of it can hold one.
      const text = redactSecrets(
        await readCapped(res.body, req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, headers['content-length'] ?? null),
      );
      const answer: UpstreamAnswer = { status, headers, text, requestId, regionObserved, latencyMs: elapsed() };
      return status >= 200 && status < 300 ? adapter.parseSuccess(answer) : adapter.parseError(answer);
    } catch (err) {
      if (err instanceof ResponseTooLarge) {
        return {
          ok: false,
          status,
          body: null,
          requestId,
          regionObserved,
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
            : redactSecrets(describe(err));
      return {
        ok: false,
        status,
        body: null,
        requestId,
        regionObserved,
        latencyMs: elapsed(),
        failure: { kind, status: status ?? undefined, message },
      };
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

/** The name the OpenAI-compatible client had before other kinds existed; the same transport. */
export const OpenAiCompatibleProvider = HttpChatProvider;

/** Header names lower-cased, each with its first value, redacted (a header may echo a key too). */
function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined) out[name.toLowerCase()] = v;
  }
  return out;
}

/** The first of `names` present, redacted and clipped to 200 characters. */
function firstHeader(headers: Record<string, string>, names: readonly string[]): string | null {
  for (const name of names) {
    const v = headers[name];
    if (v !== undefined && v !== '') return redactSecrets(v).slice(0, 200);
  }
  return null;
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
