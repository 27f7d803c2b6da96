import { hasControlChars } from '../text/control-chars.js';

/** The sort key of a timeline lane: region, model, question, replicate, execution id. */
export type TimelineCursor = [region: string, modelId: string, questionId: string, replicate: number, executionId: string];

/** Encodes the key of a page's last lane as an opaque cursor. */
export function encodeTimelineCursor(key: TimelineCursor): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor from {@link encodeTimelineCursor}; null when it is not one. */
export function decodeTimelineCursor(raw: string): TimelineCursor | null {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 5) return null;
    const [r, m, q, rep, id] = v as unknown[];
    // Every part goes into SQL: text without control characters (PostgreSQL text cannot hold U+0000), a replicate
    // within the integer column's range, an execution id within bigint's.
    const text = (x: unknown): x is string => typeof x === 'string' && x.length <= 256 && !hasControlChars(x);
    if (
      !text(r) ||
      !text(m) ||
      !text(q) ||
      !Number.isInteger(rep) ||
      (rep as number) < 0 ||
      (rep as number) > 2_147_483_647 ||
      typeof id !== 'string' ||
      !/^\d{1,18}$/.test(id)
    )
      return null;
    return [r, m, q, rep as number, id];
  } catch {
    return null;
  }
}
