import type { Socket } from 'node:net';
import type { AuditService } from '../auth/audit.service.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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

/** The request line of the last request each connection carried into the application (audited there). */
const LAST_REQUEST = new WeakMap<object, string>();

/** Notes a request that reached the application, so that a parse error in its body is not audited twice. */
export function rememberRequest(req: { method: string; url: string; socket: object | null }): void {
  if (req.socket) LAST_REQUEST.set(req.socket, `${req.method} ${req.url}`);
}

/**
 * Answers requests the HTTP parser refuses before they become requests (a malformed request line or header, an
 * invalid Transfer-Encoding, a bad chunk): a JSON error in the API's shape, then the connection is closed (Node's
 * default answer has no body), and a mutating one is audited with what its request line says. A parse error on a
 * request already being answered (its body's framing broke mid-way) is left to that request, whose audit row records
 * it as cut short.
 */
export function clientErrorHandler(audit: AuditService): (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket) => void {
  return (err, socket) => {
    // As Node's own handler does: answer only when nothing of a response went out on this connection yet.
    // A connection that ended mid-request is a client gone, not a malformed request (the audit says 499).
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    // A request whose headers were read is being handled (and is audited by the audit middleware, as this answer).
    const current = (socket as Socket & { _httpMessage?: object | null })._httpMessage;
    if (current) MALFORMED_RESPONSES.add(current);
    const [status, reason] = STATUS[err.code ?? ''] ?? [400, 'Bad Request'];
    const body = JSON.stringify({
      error: 'malformed_request',
      message: `the HTTP request could not be parsed (${err.code ?? 'parse error'}); nothing was done`,
    });
    const line = requestLine(err.rawPacket);
    // A request whose body broke after it was answered (Node still reads the rest) was audited when answered.
    const answered = line !== null && LAST_REQUEST.get(socket) === `${line.method} ${line.url}`;
    if (!current && !answered && line && !READ_METHODS.has(line.method)) {
      audit.record({
        principal: 'anonymous', role: null, method: line.method, path: line.path, targetId: null, status, error: 'malformed_request',
        remoteAddress: socket.remoteAddress ?? null,
      });
    }
    // An answer to HEAD has no body (a client would read one as garbage).
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${line?.method === 'HEAD' ? '' : body}`);
  };
}

/** Method and path (without query) of the request line at the start of `raw`, when it is readable. */
function requestLine(raw: Buffer | undefined): { method: string; url: string; path: string } | null {
  if (!raw) return null;
  const m = /^([A-Z]{1,20}) (\S{1,8192})/.exec(raw.subarray(0, 8300).toString('latin1'));
  if (!m) return null;
  return { method: m[1]!, url: m[2]!, path: m[2]!.slice(0, 2048).split('?')[0]!.replace(/[\u0000-\u001f\u007f-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) };
}
