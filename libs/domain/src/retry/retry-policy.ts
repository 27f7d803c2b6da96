/**
 * How a provider call failed, as seen by the caller. `response_too_large`: the body went over the response cap
 * (`limits.maxResponseBytes`); the same request would get the same answer, so it is final.
 */
export type CallErrorKind = 'network' | 'timeout' | 'http' | 'invalid_response' | 'aborted' | 'response_too_large';

/**
 * One failed provider call. `retryAfterMs` is the Retry-After hint the retry honours, if the response carried one;
 * `retryAfterAskedMs` what the upstream asked when that was cut to the engine's cap.
 */
export interface CallFailure {
  kind: CallErrorKind;
  status?: number;
  retryAfterMs?: number | null;
  retryAfterAskedMs?: number | null;
  message: string;
}

/** Whether another attempt may succeed. */
export type FailureClass = 'retryable' | 'final';

/** Exponential backoff parameters; see {@link retryDelayMs}. */
export interface BackoffPolicy {
  baseMs: number;
  factor: number;
  capMs: number;
}

/** 2 s doubling up to 5 min (reliability research §7.7). */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 2000, factor: 2, capMs: 300_000 });

/** Attempts per cell when the job does not say (1 call + 3 retries). */
export const DEFAULT_MAX_ATTEMPTS = 4;

/**
 * Longest Retry-After read (7 days), a bound on the header's value only: the engine waits at most
 * `limits.maxRetryAfterMs` and records the value asked next to the one applied.
 */
export const MAX_RETRY_AFTER_MS = 604_800_000;

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 529]);

/**
 * Retryable: network errors, timeouts, 408, 425, 429, 5xx, 529. Final: other 4xx (and any other status),
 * invalid responses, responses over the size cap. 'aborted' is neither: the caller decides (cancel/lease loss), so it is reported 'retryable'.
 */
export function classifyFailure(f: CallFailure): FailureClass {
  switch (f.kind) {
    case 'network':
    case 'timeout':
    case 'aborted':
      return 'retryable';
    case 'invalid_response':
    case 'response_too_large':
      return 'final';
    case 'http': {
      const status = f.status;
      if (status === undefined || !Number.isInteger(status)) return 'final';
      return RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599) ? 'retryable' : 'final';
    }
  }
}

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Retry-After as seconds or an HTTP-date → ms (>= 0), null if absent/unparseable; at most {@link MAX_RETRY_AFTER_MS}. */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | null {
  if (header === null || header === undefined) return null;
  const value = header.trim();
  if (value === '') return null;
  if (DELTA_SECONDS.test(value)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(value) * 1000));
  if (!IMF_FIXDATE.test(value) && !RFC850_DATE.test(value) && !ASCTIME_DATE.test(value)) return null;
  // asctime carries no zone; RFC 9110 defines every HTTP-date as UTC.
  const at = Date.parse(ASCTIME_DATE.test(value) ? `${value} GMT` : value);
  if (!Number.isFinite(at)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}

/** min(cap, base·factor^(failures−1)); `failures` below 1 counts as 1. */
export function nominalDelayMs(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(policy.capMs, policy.baseMs * Math.pow(policy.factor, n - 1));
}

/**
 * Delay before retry number `failures` (1 = first retry): nominal = min(cap, base·factor^(failures−1));
 * "equal jitter": nominal/2 + rand·nominal/2; then max(that, retryAfterMs). `random` returns a value in [0,1).
 * The result is a whole number of milliseconds unless the nominal delay itself is fractional.
 */
export function retryDelayMs(
  failures: number,
  retryAfterMs: number | null,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const nominal = nominalDelayMs(failures, policy);
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.min(nominal, Math.ceil(nominal / 2 + (r * nominal) / 2));
  const hint = retryAfterMs !== null && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0;
  return Math.max(jittered, hint);
}

/** The decision taken after one failed attempt. */
export type FailureDecision = { action: 'retry'; delayMs: number; reason: string } | { action: 'fail'; reason: string };

/** Input of {@link decideAfterFailure}. */
export interface FailureDecisionInput {
  failure: CallFailure;
  /** This attempt, 1-based. */
  attempt: number;
  /** From the job; values below 1 count as 1. */
  maxAttempts: number;
  random: () => number;
  policy?: BackoffPolicy;
}

/** What to do after a failed attempt: retry at a delay, or give up. */
export function decideAfterFailure(input: FailureDecisionInput): FailureDecision {
  const { failure, random, policy } = input;
  const what = describeFailure(failure);
  if (classifyFailure(failure) === 'final') return { action: 'fail', reason: `final error: ${what}` };
  const maxAttempts = Math.max(1, Math.floor(input.maxAttempts));
  const attempt = Math.max(1, Math.floor(input.attempt));
  if (attempt >= maxAttempts) return { action: 'fail', reason: `attempts exhausted (${attempt}/${maxAttempts}) after ${what}` };
  const delayMs = retryDelayMs(attempt, failure.retryAfterMs ?? null, random, policy);
  return { action: 'retry', delayMs, reason: `retryable error: ${what}; retry ${attempt} of ${maxAttempts - 1}` };
}

/** Kind and status only: callers log `message` next to the reason. */
function describeFailure(f: CallFailure): string {
  return f.kind === 'http' && f.status !== undefined ? `http ${f.status}` : f.kind;
}
