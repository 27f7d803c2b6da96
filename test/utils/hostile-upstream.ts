import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A misbehaving OpenAI-compatible upstream on 127.0.0.1, for fault tests over real HTTP. What a call gets is chosen by
 * its user prompt: a prompt containing `#fault:<mode>:<n>` gets `<mode>` for its first `<n>` calls (`all`: every
 * call) and a normal answer after; any other prompt gets a normal answer. Calls are counted per
 * (region, model, user prompt), the same key as an execution's audited prompt.
 *
 * Modes:
 * - `nul-content`  200 whose content, finish reason and usage carry U+0000 and an unpaired surrogate (as JSON escapes)
 * - `nul-error`    400 whose error message holds U+0000 and an unpaired surrogate (as JSON escapes)
 * - `nul-5xx`      503 whose body is that message followed by raw NUL bytes (retryable)
 * - `bad-utf8`     200 whose content holds bytes that are not UTF-8
 * - `deep-usage`   200 whose `usage` is an array nested 100,000 deep (too deep to serialise or store)
 * - `hang-headers` accepts the request and never answers
 * - `hang-body`    sends 200 headers and the start of a body, then nothing
 * - `reset`        destroys the connection without an answer
 * - `huge`         200 streaming 50 MB (chunked, no length) as fast as the client reads
 * - `huge-length`  200 announcing 50 MB in Content-Length, then streaming it
 * - `retry-after-<s>` 429 with `Retry-After: <s>`
 */
export interface HostileUpstream {
  url: string;
  /** Base URL of one region, e.g. `http://127.0.0.1:1234/us-east/v1`. */
  baseUrlFor(region: string): string;
  /** Calls per key `region|model|user`. */
  calls: Map<string, number>;
  /** Calls received by mode actually served (`ok` for normal answers). */
  served: Record<string, number>;
  /** Most requests open at once, and open right now. */
  maxInFlight: number;
  inFlight: number;
  /** Bytes of oversized bodies written before the client went away, per call. */
  hugeBytesWritten: number[];
  close(): Promise<void>;
}

const HUGE = 50 * 1024 * 1024;
const FAULT = /#fault:([a-z0-9-]+):(\d+|all)/;

/** Starts the upstream on a random loopback port. */
export async function startHostileUpstream(): Promise<HostileUpstream> {
  const sockets = new Set<Socket>();
  const up: HostileUpstream = {
    url: '',
    baseUrlFor: (region) => `${up.url}/${region}/v1`,
    calls: new Map(),
    served: {},
    maxInFlight: 0,
    inFlight: 0,
    hugeBytesWritten: [],
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    up.inFlight++;
    up.maxInFlight = Math.max(up.maxInFlight, up.inFlight);
    res.once('close', () => {
      up.inFlight--;
    });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: { model?: string; messages?: { role: string; content: string }[] };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const region = (req.url ?? '').split('/')[1] ?? '';
    const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
    const key = `${region}|${body.model ?? ''}|${user}`;
    const n = (up.calls.get(key) ?? 0) + 1;
    up.calls.set(key, n);
    const m = FAULT.exec(user);
    const mode = m && (m[2] === 'all' || n <= Number(m[2])) ? m[1]! : 'ok';
    up.served[mode] = (up.served[mode] ?? 0) + 1;
    serve(mode, res);
  }

  function serve(mode: string, res: ServerResponse): void {
    const completion = (content: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        id: 'chatcmpl-h',
        choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 3 },
        ...extra,
      });
    switch (mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(completion('The answer is 4.'));
        return;
      case 'nul-content':
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'chatcmpl-nul',
            choices: [{ message: { role: 'assistant', content: 'before\u0000after \ud800 lone' }, finish_reason: 'stop\u0000' }],
            usage: { prompt_tokens: 5, completion_tokens: 3, 'odd\u0000key': 'v\u0000al', note: '\udc00' },
          }),
        );
        return;
      case 'nul-error':
      case 'nul-5xx': {
        const json = Buffer.from(JSON.stringify({ error: { message: 'bad\u0000request \ud800' } }));
        res.writeHead(mode === 'nul-error' ? 400 : 503, { 'content-type': 'application/json' });
        res.end(mode === 'nul-error' ? json : Buffer.concat([json, Buffer.from([0, 0, 0x41, 0])]));
        return;
      }
      case 'bad-utf8': {
        const [head, tail] = completion('X').split('X') as [string, string];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.concat([Buffer.from(`${head}caf`), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(tail)]));
        return;
      }
      case 'deep-usage': {
        const [head, tail] = completion('4').split('"usage":{"prompt_tokens":5,"completion_tokens":3}') as [string, string];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${head}"usage":${'['.repeat(100_000)}${']'.repeat(100_000)}${tail}`);
        return;
      }
      case 'hang-headers':
        return;
      case 'hang-body':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"choices":[{"message":{"content":"');
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'huge':
      case 'huge-length': {
        res.writeHead(200, { 'content-type': 'application/json', ...(mode === 'huge-length' ? { 'content-length': String(HUGE) } : {}) });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let written = 0;
        const slot = up.hugeBytesWritten.push(0) - 1;
        const pump = () => {
          while (written < HUGE && !res.destroyed) {
            written += chunk.length;
            up.hugeBytesWritten[slot] = written;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      default: {
        const retryAfter = /^retry-after-(\d+)$/.exec(mode);
        if (retryAfter) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter[1] });
          res.end(JSON.stringify({ error: { message: 'slow down' } }));
          return;
        }
        res.writeHead(500).end(`unknown mode ${mode}`);
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return up;
}
