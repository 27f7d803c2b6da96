import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link WebhookReceiver} got. */
export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with a request: answer with a status (and body), hold it open, or stream `bytes` of body. */
export type Answer = { status: number; body?: string; headers?: Record<string, string>; bytes?: number } | 'hang';

/**
 * A real HTTP receiver on loopback: records every request (raw body text, headers, time) and answers as `answer`
 * says. Held requests stay open until `close()`; bytes written to a streamed answer are counted.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Bytes of streamed answers actually written before the client went away. */
  streamedBytes = 0;
  answer: (req: ReceivedRequest) => Answer = () => ({ status: 200 });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      this.requests.push(r);
      const a = this.answer(r);
      if (a === 'hang') return; // never answered
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      if (a.bytes === undefined) return res.end(a.body ?? '');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let left = a.bytes;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          this.streamedBytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => {
        left = 0;
      });
      pump();
    });
  });
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
