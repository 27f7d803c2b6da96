import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Seconds a client refused for load is asked to wait (`Retry-After`). */
export const BUSY_RETRY_AFTER_S = 5;

/**
 * Connections accepted past `limits.maxConnections` and kept for health probes. Each may wait for its first request
 * (up to the server's headersTimeout), so it is kept small: it bounds the sockets the daemon holds at `max` + this.
 */
export const HEALTH_HEADROOM = 4;

/**
 * Bounds the HTTP connections a daemon holds open at once. A connection accepted past `max` is not dropped silently
 * (as `server.maxConnections` would): within a small headroom ({@link HEALTH_HEADROOM}) its first request gets `503`
 * with `Retry-After` and `Connection: close`, and never reaches the application, so a refused request changes
 * nothing; health probes (`GET /health/…`) are answered all the same: they are cheap, write nothing, and a liveness
 * probe failing under a connection flood would get a healthy daemon restarted. Past the headroom a connection is
 * answered the same 503 at once and closed without waiting for its request: an idle connection costs a file
 * descriptor for as long as it stays, and a flood of them must not exhaust them. Call before the server listens.
 */
export function guardConnections(httpServer: unknown, max: number): void {
  const server = httpServer as Server;
  let open = 0;
  const over = new WeakSet<Socket>();
  const dropped = new WeakSet<Socket>();
  const body = JSON.stringify({ error: 'unavailable', message: `too many open connections (limits.maxConnections = ${max}); retry later` });
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(BUSY_RETRY_AFTER_S),
    connection: 'close',
  };
  const immediate =
    'HTTP/1.1 503 Service Unavailable\r\n' +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    `\r\n${body}`;
  server.on('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => {
      open--;
    });
    if (open > max + HEALTH_HEADROOM) {
      // Written before any request was read: the client reads it as the answer to what it sends. Closed once the
      // bytes are out, or after a second if the peer does not take them, never held for the client's pace; what the
      // client sent meanwhile is not read, and a request parsed all the same never reaches the application.
      dropped.add(socket);
      socket.pause();
      socket.write(immediate, () => socket.destroy());
      const timer = setTimeout(() => socket.destroy(), 1000).unref();
      socket.once('close', () => clearTimeout(timer));
      return;
    }
    if (open > max) over.add(socket);
  });
  // The application is the server's request listener; requests on connections past the cap are answered before it.
  const app = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (dropped.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    if (over.has(req.socket) && !(req.method === 'GET' && req.url?.startsWith('/health/'))) {
      res.writeHead(503, headers);
      res.end(body);
      return;
    }
    for (const handle of app) handle.call(server, req, res);
  });
}
