import type { Request } from 'express';
import { ApiError } from './api-error.js';

/** Reads a JSON request body of at most `limit` bytes, with one clear 400 for each way it can be wrong. */
export async function readJsonBody(req: Request, limit: number): Promise<{ text: string; value: unknown }> {
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
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'empty_body', 'request body is empty', [{ path: '$', message: 'a JSON job spec is required' }]);
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ApiError(400, 'malformed_json', `request body is not valid JSON: ${detail}`, [{ path: '$', message: `malformed JSON: ${detail}` }]);
  }
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
  return new ApiError(400, 'body_too_large', `request body exceeds ${limit} bytes`,
    [{ path: '$', message: `body is larger than the limit of ${limit} bytes` }]);
}
