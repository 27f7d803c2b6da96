/** One server-sent event as received: `event` defaults to `message`; `id` is null when the event set none. */
export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
  /** Reconnection delay the server asked for (`retry:`) since the previous event, if any. */
  retry: number | null;
}

/**
 * Incremental parser of a `text/event-stream` body (WHATWG rules: `\n`, `\r\n` or `\r` line ends, `:` comments,
 * multi-line `data`). Feed it decoded text chunks; it returns the events completed by each chunk.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | null = null;
  private retry: number | null = null;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A lone `\r` at the end of a chunk may be the first half of `\r\n`: wait for more.
      if (c === '\r' && i === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, i);
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
      const message = this.line(line);
      if (message) out.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }

  private dispatch(): SseMessage | null {
    const hasData = this.data.length > 0;
    const message: SseMessage = { event: this.event || 'message', data: this.data.join('\n'), id: this.id, retry: this.retry };
    this.event = '';
    this.data = [];
    if (!hasData) return null;
    // A `retry:` in a block without data (as sent on connect) rides on the next event rather than being lost.
    this.retry = null;
    return message;
  }
}
