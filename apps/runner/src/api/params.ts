import { badParam } from './api-error.js';

/** Parses `limit` (1..max, default `dflt`). */
export function parseLimit(raw: string | undefined, dflt: number, max: number): number {
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw badParam('limit', `must be an integer from 1 to ${max}`);
  return n;
}

/** Parses an opaque numeric cursor. */
export function parseCursor(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!/^\d{1,18}$/.test(raw)) throw badParam('cursor', 'must be the nextCursor of a previous page');
  return raw;
}

/** An optional filter that must be one of `allowed`. */
export function parseEnum(name: string, raw: string | undefined, allowed: readonly string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!allowed.includes(raw)) throw badParam(name, `must be one of ${allowed.join(', ')}`);
  return raw;
}

/** An execution id: a positive integer. */
export function parseId(name: string, raw: string): string {
  if (!/^[1-9]\d{0,17}$/.test(raw)) throw badParam(name, 'must be a positive integer');
  return raw;
}
