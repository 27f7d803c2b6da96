import type { ErrorView, LiveEventView } from '@beacon/domain';
import { SseParser } from './sse-parser.js';

/** Out-of-band news about a live-event stream, for a status line. */
export type LiveStreamNotice =
  | { type: 'connected'; lastEventId: string | null }
  /** The server dropped events: this client read too slowly, or a resume point was no longer buffered. */
  | { type: 'gap'; dropped: number; reason: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number; error: string };

/** How {@link streamLiveEvents} connects. */
export interface LiveStreamOptions {
  url: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
  onNotice?: (notice: LiveStreamNotice) => void;
  /** A stream silent (no event, no heartbeat) for this long is treated as dropped. */
  idleTimeoutMs?: number;
  /**
   * The most text held for one unfinished event (default 8 MiB; live events are a few KB): a server that never ends
   * its event cannot grow this client's memory without end; the stream is dropped and opened again.
   */
  maxEventChars?: number;
  /** Reconnect delays: first, and cap (doubling with jitter in between). */
  backoffMs?: { initial: number; max: number };
  /** The error thrown when the server answers with a status that retrying will not fix (bad filter, no token). */
  rejected: (status: number, body: ErrorView) => Error;
}

/**
 * Reads `GET /api/v1/events` as an async iterable, reconnecting with `Last-Event-ID` after a drop (exponential backoff
 * with jitter) until `signal` aborts; ends quietly on abort.
 */
export async function* streamLiveEvents(opts: LiveStreamOptions): AsyncGenerator<LiveEventView> {
  const { signal, onNotice } = opts;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 45_000;
  const backoff = opts.backoffMs ?? { initial: 500, max: 15_000 };
  let lastEventId: string | null = null;
  let failures = 0;
  let serverRetry: number | null = null;
  while (!signal?.aborted) {
    const attempt = new AbortController();
    const abortAttempt = (): void => attempt.abort();
    signal?.addEventListener('abort', abortAttempt, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => attempt.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    let error: unknown = new Error('stream ended');
    let rejection: Error | null = null;
    try {
      const headers: Record<string, string> = { ...opts.headers, accept: 'text/event-stream' };
      if (lastEventId !== null) headers['last-event-id'] = lastEventId;
      touch();
      const res = await fetch(opts.url, { headers, signal: attempt.signal });
      if (!res.ok) {
        const body = await errorBody(res);
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          rejection = opts.rejected(res.status, body);
          throw rejection;
        }
        throw new Error(`HTTP ${res.status}: ${body.message}`);
      }
      if (!res.body) throw new Error('response has no body');
      failures = 0;
      onNotice?.({ type: 'connected', lastEventId });
      const parser = new SseParser(opts.maxEventChars);
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (message.retry !== null) serverRetry = message.retry;
          if (message.event === 'gap') {
            const gap = JSON.parse(message.data) as { dropped?: number; reason?: string };
            onNotice?.({ type: 'gap', dropped: gap.dropped ?? 0, reason: gap.reason ?? 'unknown' });
          } else if (message.data) {
            const event = JSON.parse(message.data) as LiveEventView;
            if (message.id !== null) lastEventId = message.id;
            yield event;
          }
          if (signal?.aborted) return;
        }
      }
    } catch (err) {
      if (rejection) throw rejection;
      error = attempt.signal.aborted && !signal?.aborted ? attempt.signal.reason : err;
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener('abort', abortAttempt);
      attempt.abort();
    }
    if (signal?.aborted) return;
    failures++;
    const base = Math.min(backoff.max, Math.max(serverRetry ?? 0, backoff.initial) * 2 ** (failures - 1));
    const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
    onNotice?.({ type: 'reconnecting', attempt: failures, delayMs, error: message(error) });
    await sleep(delayMs, signal);
  }
}

async function errorBody(res: Response): Promise<ErrorView> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as Partial<ErrorView>;
    return { error: parsed.error ?? 'http_error', message: parsed.message ?? `HTTP ${res.status}`, problems: parsed.problems };
  } catch {
    return { error: 'http_error', message: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function message(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
