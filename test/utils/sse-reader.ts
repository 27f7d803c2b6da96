import http from 'node:http';
import { SseParser, type SseMessage } from '../../libs/api-client/src/sse-parser.js';

/** A raw SSE connection whose reading can be paused (a slow client), collecting every message. */
export interface RawSseStream {
  status: number;
  messages: SseMessage[];
  /** Raw bytes received so far. */
  bytes: number;
  pause(): void;
  resume(): void;
  close(): void;
}

/** Opens `url` with plain node:http (so that backpressure reaches the server's socket when paused). */
export function openRawSse(url: string, headers: Record<string, string> = {}): Promise<RawSseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const parser = new SseParser();
      res.setEncoding('utf8');
      const stream: RawSseStream = {
        status: res.statusCode ?? 0,
        messages: [],
        bytes: 0,
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req.destroy(),
      };
      res.on('data', (chunk: string) => {
        stream.bytes += Buffer.byteLength(chunk);
        stream.messages.push(...parser.push(chunk));
      });
      res.on('error', () => undefined);
      resolve(stream);
    });
    req.on('error', reject);
  });
}
