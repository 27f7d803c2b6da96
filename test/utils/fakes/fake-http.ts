import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake received, its body parsed as JSON when it is JSON. */
export interface FakeRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: unknown;
}

/** A running fake: its base URL, what it received, and a close that also drops the connections it left hanging. */
export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1, port 0, that reads each request whole before `handle` answers it. */
export async function startFake(handle: (req: FakeRequest, res: ServerResponse) => void): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        body = undefined;
      }
      const seen: FakeRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, body };
      requests.push(seen);
      handle(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // A hanging scenario never ends its response: drop those sockets, or close() would wait for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JSON answer with extra headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The scenario named in a text as `[scenario:name]`, or `fallback`. */
export function scenarioOf(text: unknown, fallback = 'success'): string {
  const m = typeof text === 'string' ? /\[scenario:([a-z0-9-]+)\]/.exec(text) : null;
  return m?.[1] ?? fallback;
}
