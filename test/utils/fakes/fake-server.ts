import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake provider got: method, path with query, headers (lower-cased), body as text and as JSON if it was. */
export interface FakeRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** The parsed body, or undefined when it was not JSON. */
  body: unknown;
}

/** What a fake answers: a status with a JSON (or raw text) body and headers, or nothing ever ('hang'). */
export type FakeAnswer = { status: number; json?: unknown; text?: string; headers?: Record<string, string> } | 'hang';

/** A running fake: its base URL (the API's base, e.g. `http://127.0.0.1:1234/v1`), what it got, and how to stop it. */
export interface RunningFake {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/**
 * A node:http server on 127.0.0.1 (port 0) that reads and records each request whole, then lets `handle` answer it.
 * `close()` drops every connection, so a request left hanging never holds up a test.
 */
export async function startRecording(basePath: string, handle: (req: FakeRequest, res: http.ServerResponse) => void): Promise<RunningFake> {
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
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
      const r: FakeRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, body };
      requests.push(r);
      handle(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A provider fake answering each request with what `answer` returns ({@link FakeAnswer}); 'hang' never answers. */
export function startFake(basePath: string, answer: (req: FakeRequest) => FakeAnswer): Promise<RunningFake> {
  return startRecording(basePath, (r, res) => {
    const a = answer(r);
    if (a === 'hang') return;
    const text = a.text ?? JSON.stringify(a.json ?? null);
    res.writeHead(a.status, { 'content-type': a.text === undefined ? 'application/json' : 'text/html', ...a.headers });
    res.end(text);
  });
}

/** The object at `key` of a JSON value, when there is one. */
export function prop(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** The `scenario:<name>` a test wrote into its user text, or 'ok'. */
export function scenarioOf(text: string): string {
  return /\bscenario:([a-z0-9-]+)/.exec(text)?.[1] ?? 'ok';
}
