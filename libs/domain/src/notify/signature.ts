import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying a webhook delivery's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const SIGNATURE_HEADER = 'X-Beacon-Signature';
/** The header naming the delivery (the outbox id): the same on every attempt of one delivery, so a receiver can drop a repeat. */
export const DELIVERY_HEADER = 'X-Beacon-Delivery';
/** The header naming the event (`finding`, or `test` for `beacon notify test`). */
export const EVENT_HEADER = 'X-Beacon-Event';

/** Hex HMAC-SHA256 of `"<t>.<body>"` under `secret`. */
export function signatureDigest(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/**
 * The signature header's value for `body` sent at `t` (unix seconds). Signing the time with the body (Stripe's
 * scheme) lets a receiver refuse a replay older than its tolerance.
 */
export function signatureHeader(secret: string, body: string, t: number): string {
  return `t=${t},v1=${signatureDigest(secret, t, body)}`;
}

/** Why {@link verifySignature} refused a delivery, or null when it is genuine and fresh. */
export type SignatureProblem = 'malformed' | 'mismatch' | 'stale';

/**
 * What a receiver does: parse the header, recompute the HMAC over the raw body bytes exactly as received, compare in
 * constant time, and refuse a timestamp more than `toleranceS` away from `nowS`.
 */
export function verifySignature(
  header: string | null | undefined,
  body: string,
  secret: string,
  nowS: number,
  toleranceS = 300,
): SignatureProblem | null {
  const parts = new Map((header ?? '').split(',').map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!/^\d{1,12}$/.test(parts.get('t') ?? '') || !/^[0-9a-f]{64}$/.test(v1)) return 'malformed';
  const expected = Buffer.from(signatureDigest(secret, t, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return 'mismatch';
  return Math.abs(nowS - t) > toleranceS ? 'stale' : null;
}
