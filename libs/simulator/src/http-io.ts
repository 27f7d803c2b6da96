import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './openai-protocol.js';

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1_048_576;

/** Reads the whole request body as UTF-8; throws a 413 {@link ApiError} past {@link MAX_BODY_BYTES}. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, `Request body larger than ${MAX_BODY_BYTES} bytes.`, 'invalid_request_error', null, 'request_too_large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes a JSON response unless the client has already gone away. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
