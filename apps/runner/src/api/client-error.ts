import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { escapeControlChars } from '@beacon/domain';
import type { AuditService } from '../auth/audit.service.js';
import { READ_METHODS } from './http-methods.js';

/** Node's parser error codes that mean "this is not a request we can read", with the status each gets. */
const STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADERS_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * Responses answered here because their request's framing broke after its headers were read (the handler may still
 * be running): the audit records them as this 400, not as a client that left.
 */
export const MALFORMED_RESPONSES = new WeakSet<object>();

/** Connections to be closed once the answer under way on them is out. */
const CLOSING = new WeakSet<Socket>();

/** The request line of the last request each connection carried into the application (audited there). */
const LAST_REQUEST = new WeakMap<object, string>();

/** Notes a request that reached the application, so that a parse error in its body is not audited twice. */
export function rememberRequest(req: { method: string; url: string; socket: object | null }): void {
  if (req.socket) LAST_REQUEST.set(req.socket, `${req.method} ${req.url}`);
}

/**
 * Answers requests the HTTP parser refuses before they become requests (a malformed request line or header, an
 * invalid Transfer-Encoding, a bad chunk): a JSON error in the API's shape, then the connection is closed (Node's
 * default answer has no body), and a mutating one is audited with what its request line says. Also on a kept-alive
 * connection that answered requests before: what matters is that no answer is under way on it.
 *
 * When a request is being handled on the connection, its fate depends on whether it was read whole:
 * - its body's framing broke mid-way (not complete): it is answered here as malformed, and its audit row says so;
 * - it was complete, and what broke is what came after it (pipelined bytes): it is left to run, its own answer and
 *   audit row stand (it may well have committed), and the connection is closed after that answer, since nothing
 *   after it can be read. The unreadable rest is audited here when it shows a mutating request line of its own.
 */
export function clientErrorHandler(audit: AuditService): (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket) => void {
  return (err, socket) => {
    // A connection that ended mid-request is a client gone, not a malformed request (the audit says 499).
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] = STATUS[err.code ?? ''] ?? [400, 'Bad Request'];
    const line = requestLine(err.rawPacket);
    // The packet may start with a request that reached the application (its body broke after it was answered, or it is
    // the one being handled): that one is audited there.
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
    const answered =
      line !== null &&
      [LAST_REQUEST.get(socket), current?.req && `${current.req.method} ${current.req.url}`].includes(`${line.method} ${line.url}`);
    const auditLine = (): void => {
      if (answered || !line || READ_METHODS.has(line.method)) return;
      audit.record({
        principal: 'anonymous',
        role: null,
        method: line.method,
        path: line.path,
        targetId: null,
        status,
        error: 'malformed_request',
        remoteAddress: socket.remoteAddress ?? null,
      });
    };
    if (current && (current.req?.complete || current.headersSent)) {
      // Being handled, and read whole (or already being answered): the request's outcome is its own. Nothing can be
      // written here without corrupting its answer; the connection ends once that answer is out.
      // The parser may report the same error again as more bytes arrive: act once per connection.
      if (CLOSING.has(socket)) return;
      CLOSING.add(socket);
      auditLine();
      if (!current.headersSent) current.shouldKeepAlive = false;
      current.once('close', () => socket.destroySoon());
      return;
    }
    // A request whose headers were read and whose body broke is being handled (and is audited by the audit
    // middleware, as this answer).
    if (current) MALFORMED_RESPONSES.add(current);
    else auditLine();
    const body = JSON.stringify({
      error: 'malformed_request',
      message: `the HTTP request could not be parsed (${err.code ?? 'parse error'}); nothing was done`,
    });
    // An answer to HEAD has no body (a client would read one as garbage).
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${line?.method === 'HEAD' ? '' : body}`,
    );
  };
}

/** Method and path (without query) of the request line at the start of `raw`, when it is readable. */
function requestLine(raw: Buffer | undefined): { method: string; url: string; path: string } | null {
  if (!raw) return null;
  // Decoded as UTF-8: a byte that is not (a request target is ASCII) becomes U+FFFD, which text columns hold.
  const m = /^([A-Z]{1,20}) (\S{1,8192})/.exec(raw.subarray(0, 8300).toString('utf8'));
  if (!m) return null;
  return { method: m[1]!, url: m[2]!, path: escapeControlChars(m[2]!.split('?')[0]!, 2048) };
}
