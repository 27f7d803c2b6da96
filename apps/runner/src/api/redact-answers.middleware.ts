import { redactSecrets } from '@beacon/domain';
import type { NextFunction, Request, Response } from 'express';

function isJson(type: unknown): boolean {
  return typeof type === 'string' && /^application\/(?:[\w.+-]*\+)?json\b/i.test(type);
}

/** Answers whose body was redacted where it was made (off the event loop), so it is not scanned again here. */
const redactedAtSource = new WeakSet<Response>();

/**
 * Marks `res` as carrying a body already redacted with every registered secret and credential shape (the analysis,
 * redacted by its worker before it is cached): {@link redactAnswers} sends it as it is.
 */
export function alreadyRedacted(res: Response): void {
  redactedAtSource.add(res);
}

/**
 * Every JSON answer leaves with its secrets hidden, however it was written (a controller's return value, `res.json`,
 * an error filter): the final body is the one place they all pass. The redactor never touches `"` or `\`, so the JSON
 * stays valid; the length is set again when the body changed.
 *
 * Why this still scans answers whose stored text was redacted when written: a row written by an earlier version, or
 * before a secret was registered (a key configured since, a database password changed), holds it unredacted, and
 * error messages and echoed input were never rows. What it costs on the event loop is bounded: the scan is one linear
 * pass (a few ms per MiB, adversarial text included), and these answers are bounded by page limits and the stored
 * text caps. The one answer of many MiB, the analysis, is redacted in its worker and marked {@link alreadyRedacted}.
 */
export function redactAnswers(_req: Request, res: Response, next: NextFunction): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with `this` the same response
  const end = res.end;
  res.end = function redactedEnd(this: Response, ...args: unknown[]) {
    const [chunk] = args;
    if (
      (typeof chunk === 'string' || Buffer.isBuffer(chunk)) &&
      !this.headersSent &&
      !redactedAtSource.has(this) &&
      isJson(this.getHeader('content-type'))
    ) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const clean = redactSecrets(text);
      if (clean !== text) {
        args[0] = clean;
        this.setHeader('content-length', Buffer.byteLength(clean));
      }
    }
    return (end as (...a: unknown[]) => Response).apply(this, args);
  } as Response['end'];
  next();
}
