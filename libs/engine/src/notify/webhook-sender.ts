import { Agent, errors as undiciErrors, request } from 'undici';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  parseRetryAfter,
  redactSecrets,
  renderBody,
  signatureHeader,
  type NotificationEvent,
  type PostResult,
  type ResolvedSink,
} from '@beacon/domain';

/** Bytes of a receiver's answer read (for the error kept when it fails); the rest is never read. */
export const MAX_RECEIVER_BODY_BYTES = 4096;

/** One POST and how long it took. */
export interface PostOutcome {
  result: PostResult;
  latencyMs: number;
}

/** How the delivery worker posts; the real one is {@link WebhookSender}, unit tests use a fake. */
export interface NotificationSender {
  post(sink: ResolvedSink, deliveryId: string, event: NotificationEvent, signal?: AbortSignal): Promise<PostOutcome>;
  close(): Promise<void>;
}

/**
 * Posts notifications over undici: the body for the sink's kind, `X-Beacon-Event`, `X-Beacon-Delivery` (the outbox
 * id, the same on every attempt) and, for webhook sinks, `X-Beacon-Signature` signed at the moment of sending. One
 * bound covers the whole attempt (connect, headers and the answer): `timeoutMs` of the sink. Of the answer only the
 * status, `Retry-After` and at most {@link MAX_RECEIVER_BODY_BYTES} bytes are read, then the connection is dropped,
 * so a receiver that hangs or sends 50 MB costs one timeout or 4 KiB. Redirects are not followed. Whatever is kept of
 * an answer or an error is redacted (a receiver may echo the URL or the key it was sent).
 */
export class WebhookSender implements NotificationSender {
  private readonly agent = new Agent({ connections: 16, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

  constructor(private readonly clock: () => number = Date.now) {}

  async post(sink: ResolvedSink, deliveryId: string, event: NotificationEvent, signal?: AbortSignal): Promise<PostOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const timeout = AbortSignal.timeout(sink.timeoutMs);
    const bound = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const body = renderBody(sink.kind, deliveryId, event);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'beacon-notify/1',
      [EVENT_HEADER]: event.event,
      [DELIVERY_HEADER]: deliveryId,
    };
    if (sink.kind === 'webhook' && sink.secret !== null)
      headers[SIGNATURE_HEADER] = signatureHeader(sink.secret, body, Math.floor(this.clock() / 1000));
    let status: number | null = null;
    try {
      const res = await request(sink.url, {
        method: 'POST',
        headers,
        body,
        signal: bound,
        dispatcher: this.agent,
        maxRedirections: 0,
      } as Parameters<typeof request>[1]);
      status = res.statusCode;
      const retryAfter = res.headers['retry-after'];
      const excerpt = await readExcerpt(res.body);
      return {
        result: {
          kind: 'http',
          status,
          retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
          excerpt: redactSecrets(excerpt),
        },
        latencyMs: elapsed(),
      };
    } catch (err) {
      const kind = timeout.aborted || signal?.aborted ? 'timeout' : 'network';
      const message = kind === 'timeout' ? `no answer within ${sink.timeoutMs} ms` : redactSecrets(describe(err));
      return { result: { kind, message }, latencyMs: elapsed() };
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/**
 * At most {@link MAX_RECEIVER_BODY_BYTES} of the answer as text; the stream is destroyed past that, or when the bound
 * aborts it mid-way (the status is kept either way: an answer that hangs after its status line still answered).
 */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_RECEIVER_BODY_BYTES) break;
    }
  } catch {
    /* aborted or reset after the status: what was read is enough */
  } finally {
    body.destroy?.();
  }
  return Buffer.concat(chunks).subarray(0, MAX_RECEIVER_BODY_BYTES).toString('utf8');
}

function describe(err: unknown): string {
  if (err instanceof undiciErrors.UndiciError) return `${err.code ?? err.name}: ${err.message}`;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.code ?? e?.message ?? String(err);
}

/** The error kept for a failed attempt: the status and the start of what the receiver said, or the network error. */
export function attemptError(result: PostResult): string | null {
  if (result.kind !== 'http') return `${result.kind}: ${result.message}`;
  if (result.status >= 200 && result.status <= 299) return null;
  const said = result.excerpt.replace(/\s+/g, ' ').trim().slice(0, 300);
  return said ? `HTTP ${result.status}: ${said}` : `HTTP ${result.status}`;
}
