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
    if (typeof r !== 'string' || typeof m !== 'string' || typeof q !== 'string' || !Number.isInteger(rep)
      || typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return null;
    return [r, m, q, rep as number, id];
  } catch {
    return null;
  }
}
