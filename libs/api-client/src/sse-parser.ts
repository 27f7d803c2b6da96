import { createParser, type EventSourceParser } from 'eventsource-parser';

/** One server-sent event as received: `event` defaults to `message`; `id` is null when no event set one yet. */
export interface SseMessage {
  event: string;
  data: string;
  /** The last event ID (WHATWG's buffer): kept from earlier events until an `id:` line changes it. */
  id: string | null;
  /** Reconnection delay the server asked for (`retry:`) since the previous event, if any. */
  retry: number | null;
}

/** Raised by `push` once the text held for one unfinished event passes `maxBufferBytes`: the stream should be dropped. */
export class SseOverflowError extends Error {
  constructor(readonly limit: number) {
    super(`server-sent event larger than ${limit} characters`);
    this.name = 'SseOverflowError';
  }
}

/**
 * Incremental parser of a `text/event-stream` body, by `eventsource-parser` (WHATWG rules: `\n`, `\r\n` or `\r` line
 * ends, `:` comments, multi-line `data`, NUL in `id` ignored). This class adds what the stream's readers need on top:
 * events returned per chunk, the last event ID kept across events, a `retry:` sent in a block of its own carried by the
 * next event, and a bound on one event's size (a server that never ends a line cannot grow the buffer without end).
 */
export class SseParser {
  private readonly parser: EventSourceParser;
  private out: SseMessage[] = [];
  private id: string | null = null;
  private retry: number | null = null;
  private overflow: SseOverflowError | null = null;

  /** `maxBufferBytes`: the most text held for one unfinished event (default 8 MiB; live events are a few KB). */
  constructor(maxBufferBytes = 8 * 1024 * 1024) {
    this.parser = createParser({
      maxBufferSize: maxBufferBytes,
      onEvent: (e) => {
        if (e.id !== undefined) this.id = e.id;
        this.out.push({ event: e.event ?? 'message', data: e.data, id: this.id, retry: this.retry });
        this.retry = null;
      },
      onRetry: (ms) => {
        this.retry = ms;
      },
      onError: (err) => {
        // Unknown fields and malformed `retry:` values are ignored, as the standard says; only overflow ends the stream.
        if (err.type === 'max-buffer-size-exceeded') this.overflow = new SseOverflowError(maxBufferBytes);
      },
    });
  }

  /** Feeds a decoded chunk; returns the events it completed. Throws `SseOverflowError` once one event is too large. */
  push(chunk: string): SseMessage[] {
    if (!this.overflow) this.parser.feed(chunk);
    // Set by the parser's onError during feed.
    if (this.overflow) throw this.overflow;
    const out = this.out;
    this.out = [];
    return out;
  }
}
