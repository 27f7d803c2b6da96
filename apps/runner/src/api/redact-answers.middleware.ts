import { redactSecrets } from '@beacon/domain';
import type { NextFunction, Request, Response } from 'express';

function isJson(type: unknown): boolean {
  return typeof type === 'string' && /^application\/(?:[\w.+-]*\+)?json\b/i.test(type);
}

/**
 * Every JSON answer leaves with its secrets hidden, however it was written (a controller's return value, `res.json`,
 * an error filter, a pre-serialised analysis): the final body is the one place they all pass. Rows are redacted when
 * written; this also covers what older versions stored and text an answer quotes from elsewhere. The redactor never
 * touches `"` or `\`, so the JSON stays valid; the length is set again when the body changed.
 */
export function redactAnswers(_req: Request, res: Response, next: NextFunction): void {
  const end = res.end;
  res.end = function redactedEnd(this: Response, ...args: unknown[]) {
    const [chunk] = args;
    if ((typeof chunk === 'string' || Buffer.isBuffer(chunk)) && !this.headersSent && isJson(this.getHeader('content-type'))) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const clean = redactSecrets(text);
      if (clean !== text) {
        args[0] = clean;
        this.setHeader('content-length', Buffer.byteLength(clean));
        this.removeHeader('etag');
      }
    }
    return (end as (...a: unknown[]) => Response).apply(this, args);
  } as Response['end'];
  next();
}
