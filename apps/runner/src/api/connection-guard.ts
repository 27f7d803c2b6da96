import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Seconds a client refused for load is asked to wait (`Retry-After`). */
export const BUSY_RETRY_AFTER_S = 5;

/**
 * Bounds the HTTP connections a daemon holds open at once. A connection accepted past `max` is not dropped silently
 * (as `server.maxConnections` would): its first request gets `503` with `Retry-After` and `Connection: close`, and
 * never reaches the application, so a refused request changes nothing. Health probes (`GET /health/…`) are answered
 * all the same: they are cheap, write nothing, and a liveness probe failing under a connection flood would get a
 * healthy daemon restarted. Call before the server listens.
 */
export function guardConnections(httpServer: unknown, max: number): void {
  const server = httpServer as Server;
  let open = 0;
  const over = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => {
    open++;
    if (open > max) over.add(socket);
    socket.once('close', () => { open--; });
  });
  // The application is the server's request listener; requests on connections past the cap are answered before it.
  const app = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (over.has(req.socket) && !(req.method === 'GET' && req.url?.startsWith('/health/'))) {
      const body = JSON.stringify({ error: 'unavailable', message: `too many open connections (limits.maxConnections = ${max}); retry later` });
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body),
        'retry-after': String(BUSY_RETRY_AFTER_S), connection: 'close',
      });
      res.end(body);
      return;
    }
    for (const handle of app) handle.call(server, req, res);
  });
}
