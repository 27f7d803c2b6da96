import { parseStrictJson } from '@beacon/domain';
import type { Request } from 'express';
import { type ContentType, parse } from 'content-type';
import { ApiError } from './api-error.js';

/**
 * Reads a JSON request body of at most `limit` bytes (413 beyond), with one clear 400 for each way it can be wrong.
 * The JSON is parsed strictly: a duplicate key, `__proto__`, `constructor` or `prototype` as a key, or nesting deeper
 * than 64 levels is refused with its path. `bytes` are the body exactly as received (what a signature covers).
 */
export async function readJsonBody(req: Request, limit: number): Promise<{ text: string; value: unknown; bytes: Buffer }> {
  const type = req.headers['content-type'];
  const parsedType = type ? parseContentType(type) : null;
  if (!parsedType || parsedType.type !== 'application/json') {
    throw new ApiError(400, 'invalid_content_type', `content type must be application/json (got ${type ? JSON.stringify(type) : 'none'})`, [
      { path: 'content-type', message: 'must be application/json' },
    ]);
  }
  const charsetProblem = charsetRefusal(parsedType);
  if (charsetProblem) throw charsetProblem;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    await discardBody(req);
    throw tooLarge(limit);
  }
  const body = await readBody(req, limit);
  if (body.kind === 'too_large') throw tooLarge(limit);
  if (body.kind === 'cut_short') throw cutShort();
  const bytes = body.bytes;
  const text = bytes.toString('utf8');
  if (text.trim() === '')
    throw new ApiError(400, 'empty_body', 'request body is empty', [{ path: '$', message: 'a JSON job spec is required' }]);
  if (text.includes('\ufffd') && !bytes.equals(Buffer.from(text, 'utf8'))) {
    throw new ApiError(400, 'malformed_json', 'request body is not valid UTF-8', [
      { path: '$', message: 'the body must be UTF-8 encoded JSON' },
    ]);
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) {
    const { code, message, path } = parsed.error;
    const what = code === 'malformed_json' ? `request body is not valid JSON: ${message}` : `request body refused: ${message}`;
    throw new ApiError(400, code, what, [{ path, message: code === 'malformed_json' ? `malformed JSON: ${message}` : message }]);
  }
  return { text, value: parsed.value, bytes };
}

/** Past this many bytes a refused body is no longer read: the answer goes out with `Connection: close`. */
const DRAIN_CAP = 64 * 1024 * 1024;

/** What reading a body gave: its bytes, "larger than the limit" (the rest read and discarded), or "cut short". */
export type BodyRead = { kind: 'complete'; bytes: Buffer } | { kind: 'too_large' } | { kind: 'cut_short' };

/**
 * Reads a request body of at most `limit` bytes, whatever its framing (Content-Length or chunked). Over the limit it
 * keeps reading and discarding, so that the client (still sending) gets the answer instead of a reset; past
 * {@link DRAIN_CAP} it stops and marks the connection to close after the answer. It never destroys the request:
 * breaking out of `for await` over a request does, which took the socket (and its peer address) away from everything
 * still to run for that request.
 */
export function readBody(req: Request, limit: number, drainCap = DRAIN_CAP): Promise<BodyRead> {
  return new Promise((resolve) => {
    if (req.readableEnded || req.destroyed) {
      resolve(req.complete ? { kind: 'complete', bytes: Buffer.alloc(0) } : { kind: 'cut_short' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const finish = (result: BodyRead) => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone).off('aborted', onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (!over && size > limit) {
        over = true;
        chunks.length = 0;
      }
      if (!over) chunks.push(chunk);
      else if (size > drainCap) {
        req.pause();
        req.res?.setHeader('connection', 'close');
        finish({ kind: 'too_large' });
      }
    };
    const onEnd = () => finish(over ? { kind: 'too_large' } : { kind: 'complete', bytes: Buffer.concat(chunks) });
    const onGone = () => finish(over ? { kind: 'too_large' } : { kind: 'cut_short' });
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone).on('aborted', onGone);
    req.resume();
  });
}

/**
 * Reads and discards a refused request's body so the client (still sending) gets the answer, not a reset; past `cap`
 * bytes (or a declared length beyond it) it stops and the connection is closed after the answer.
 */
export async function discardBody(req: Request, cap = DRAIN_CAP): Promise<void> {
  if (req.readableEnded || req.complete || req.destroyed) return;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) {
    req.res?.setHeader('connection', 'close');
    return;
  }
  await readBody(req, 0, cap);
}

/** 415 when a JSON body declares a charset other than UTF-8 (JSON is UTF-8: RFC 8259). */
export function charsetRefusal(type: ContentType): ApiError | null {
  const charset = type.parameters.charset;
  if (charset === undefined || /^utf-?8$/i.test(charset)) return null;
  return new ApiError(415, 'unsupported_charset', `JSON bodies must be UTF-8 (got charset ${JSON.stringify(charset.slice(0, 40))})`, [
    { path: 'content-type', message: 'charset must be utf-8 or absent' },
  ]);
}

/** The media type of a Content-Type header (lower-cased, parameters parsed), or null when it is unreadable. */
export function parseContentType(header: string): ContentType | null {
  try {
    return parse(header);
  } catch {
    return null;
  }
}

function cutShort(): ApiError {
  return new ApiError(400, 'body_incomplete', 'the request body ended before it was complete (connection closed)', [
    { path: '$', message: 'body cut short' },
  ]);
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'body_too_large', `request body exceeds ${limit} bytes`, [
    { path: '$', message: `body is larger than the limit of ${limit} bytes` },
  ]);
}
