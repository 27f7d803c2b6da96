/**
 * The viewer's one door to the daemon: the public HTTP API on this origin, with the user's token (kept for the tab in
 * sessionStorage, sent only as an Authorization header, never in a URL).
 */
import { createParser } from './eventsource-parser.js';

const TOKEN_KEY = 'beacon.token';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An API refusal: status, the API's error code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return { accept: 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiFailure> {
  let code = 'http_error';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    /* not JSON: keep the status line */
  }
  const ra = Number(res.headers.get('retry-after'));
  return new ApiFailure(res.status, code, message, Number.isFinite(ra) && ra > 0 ? ra : null);
}

/** GET a JSON answer. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers(), signal, credentials: 'omit', cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** GET a JSON answer, waiting out the analysis' 503 + Retry-After a few times. */
export async function getPatiently<T>(path: string, signal?: AbortSignal, tries = 20): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await get<T>(path, signal);
    } catch (err) {
      if (!(err instanceof ApiFailure) || err.status !== 503 || err.retryAfter === null || i >= tries) throw err;
      await new Promise((r) => setTimeout(r, Math.min(err.retryAfter! * 1000, 3000)));
    }
  }
}

/**
 * POST with a JSON content type: the API refuses state-changing requests without it (a cross-site form cannot send
 * one) and without a token when tokens are configured (a cross-site page cannot add the header).
 */
export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
    credentials: 'omit',
  });
  if (!res.ok) throw await failure(res);
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Downloads an API answer as a file (through a blob: URL, so the token stays in the header). */
export async function download(path: string, fileName: string): Promise<void> {
  const res = await fetch(path, { headers: headers({ accept: '*/*' }), credentials: 'omit' });
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One server-sent event. */
export interface StreamEvent {
  event: string;
  id: string | null;
  data: string;
}

/**
 * Follows a server-sent event stream with fetch (EventSource cannot send an Authorization header), reconnecting with
 * Last-Event-ID after a drop, until `signal` aborts.
 */
export async function follow(path: string, onEvent: (e: StreamEvent) => void, signal: AbortSignal): Promise<void> {
  // Widened: the parser's callback sets it, which narrowing does not follow.
  let lastId = null as string | null;
  while (!signal.aborted) {
    try {
      const res = await fetch(path, {
        headers: headers({ accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }),
        signal,
        credentials: 'omit',
        cache: 'no-store',
      });
      if (!res.ok || !res.body) throw await failure(res);
      // The stream is parsed by `eventsource-parser` (served with the page, see build:viewer): WHATWG line ends,
      // comments and multi-line data; the last event ID is kept across events, for the reconnection.
      const parser = createParser({
        maxBufferSize: 8 * 1024 * 1024,
        onEvent: (m) => {
          if (m.id !== undefined) lastId = m.id || null;
          onEvent({ event: m.event ?? 'message', id: lastId, data: m.data });
        },
        onError: (err) => {
          if (err.type === 'max-buffer-size-exceeded') void reader.cancel(err);
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiFailure && (err.status === 401 || err.status === 403 || err.status === 400)) throw err;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
