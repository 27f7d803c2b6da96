import { retryDelayMs, type BackoffPolicy } from '../retry/retry-policy.js';

/**
 * Where a notification is: `pending` (waiting for its next attempt), `delivering` (leased to a daemon posting it),
 * `delivered` (a 2xx answer was recorded) or `dead` (dead-lettered: a final answer, or every attempt failed). Only
 * the outbox repository changes it.
 */
export const OUTBOX_STATES = ['pending', 'delivering', 'delivered', 'dead'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * What one HTTP attempt came to, as the delivery log records it: `delivered` (2xx), `retry` (a retryable failure, tried
 * again later), `dead` (a final failure, or the last attempt failed), `fenced` (the answer came after this daemon lost
 * its lease; another daemon owns the delivery), `lease_expired` (the daemon posting it stopped before recording an
 * answer: a crash, a kill; the next claim closes the row so).
 */
export const DELIVERY_OUTCOMES = ['delivered', 'retry', 'dead', 'fenced', 'lease_expired'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** How one POST ended, as the sender saw it. */
export type PostResult =
  { kind: 'http'; status: number; retryAfterMs: number | null; excerpt: string } | { kind: 'timeout' | 'network'; message: string };

/** Backoff between attempts: 5 s doubling, up to 10 min, with equal jitter. */
export const NOTIFY_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 5_000, factor: 2, capMs: 600_000 });

/** Longest a receiver's Retry-After may push a delivery back (1 h); a longer one is cut to this. */
export const MAX_NOTIFY_RETRY_AFTER_MS = 3_600_000;

/** What to do with a delivery after an attempt. */
export type DeliveryDecision =
  | { state: 'delivered'; outcome: 'delivered' }
  | { state: 'pending'; outcome: 'retry'; delayMs: number; reason: string }
  | { state: 'dead'; outcome: 'dead'; reason: string };

/**
 * The decision after attempt `attempt` of `maxAttempts`: a 2xx is delivered; 408, 429, 5xx, timeouts and network
 * errors are retried with exponential backoff and equal jitter, never sooner than the receiver's Retry-After (at most
 * {@link MAX_NOTIFY_RETRY_AFTER_MS}), until the last attempt, which dead-letters. Any other status (other 4xx, and
 * 1xx/3xx: redirects are not followed, a moved receiver is a configuration to fix) is dead at once: the same request
 * would get the same answer, and retrying it for an hour would only delay the operator's fix.
 */
export function decideDelivery(
  result: PostResult,
  attempt: number,
  maxAttempts: number,
  random: () => number,
  policy: BackoffPolicy = NOTIFY_BACKOFF,
): DeliveryDecision {
  const what = describePost(result);
  if (result.kind === 'http' && result.status >= 200 && result.status <= 299) return { state: 'delivered', outcome: 'delivered' };
  const retryable =
    result.kind !== 'http' || result.status === 408 || result.status === 429 || (result.status >= 500 && result.status <= 599);
  if (!retryable) return { state: 'dead', outcome: 'dead', reason: `final answer: ${what}` };
  if (attempt >= maxAttempts)
    return { state: 'dead', outcome: 'dead', reason: `attempts exhausted (${attempt}/${maxAttempts}) after ${what}` };
  const hint = result.kind === 'http' && result.retryAfterMs !== null ? Math.min(result.retryAfterMs, MAX_NOTIFY_RETRY_AFTER_MS) : null;
  const delayMs = retryDelayMs(attempt, hint, random, policy);
  return { state: 'pending', outcome: 'retry', delayMs, reason: `${what}; attempt ${attempt} of ${maxAttempts}` };
}

/** `http 503`, `timeout`, `network`. */
export function describePost(result: PostResult): string {
  return result.kind === 'http' ? `http ${result.status}` : result.kind;
}
