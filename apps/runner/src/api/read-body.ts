import { parseStrictJson } from '@beacon/domain';
import type { Request } from 'express';
import { ApiError } from './api-error.js';

/**
 * Reads a JSON request body of at most `limit` bytes (413 beyond), with one clear 400 for each way it can be wrong.
 * The JSON is parsed strictly: a duplicate key, `__proto__`, `constructor` or `prototype` as a key, or nesting deeper
 * than 64 levels is refused with its path. `bytes` are the body exactly as received (what a signature covers).
 */
export async function readJsonBody(req: Request, limit: number): Promise<{ text: string; value: unknown; bytes: Buffer }> {
  const type = req.headers['content-type'];
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(400, 'invalid_content_type',
      `content type must be application/json (got ${type ? JSON.stringify(type) : 'none'})`,
      [{ path: 'content-type', message: 'must be application/json' }]);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    await drain(req, declared);
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      await drain(req, Infinity);
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'empty_body', 'request body is empty', [{ path: '$', message: 'a JSON job spec is required' }]);
  if (text.includes('\ufffd') && !bytes.equals(Buffer.from(text, 'utf8'))) {
    throw new ApiError(400, 'malformed_json', 'request body is not valid UTF-8', [{ path: '$', message: 'the body must be UTF-8 encoded JSON' }]);
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) {
    const { code, message, path } = parsed.error;
    const what = code === 'malformed_json' ? `request body is not valid JSON: ${message}` : `request body refused: ${message}`;
    throw new ApiError(400, code, what, [{ path, message: code === 'malformed_json' ? `malformed JSON: ${message}` : message }]);
  }
  return { text, value: parsed.value, bytes };
}

const DRAIN_CAP = 64 * 1024 * 1024;

/** Reads and discards the rest of a rejected body so the client sees our 400 instead of a reset connection. */
async function drain(req: Request, declared: number): Promise<void> {
  if (declared > DRAIN_CAP) return;
  let seen = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (seen > DRAIN_CAP) return;
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'body_too_large', `request body exceeds ${limit} bytes`,
    [{ path: '$', message: `body is larger than the limit of ${limit} bytes` }]);
}
