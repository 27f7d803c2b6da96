import type { ProviderConfig } from '@beacon/domain';

/** Milliseconds in the window a provider's quota is stated over. */
const MINUTE = 60_000;

/**
 * A provider's per-minute quota as a token bucket that never spends more than `perMinute` in any 60 s window: it holds
 * at most a sixth of the quota (a 10 s burst) and refills the other five sixths evenly over the minute, so burst plus
 * refill over any minute is the quota itself (a bucket holding a whole minute would allow twice the quota across a
 * window boundary, and strict providers answer 429 there). `take(n)` reserves `n` (clipped to the bucket's size, so one
 * large request never waits forever) and answers how long to wait before spending them; the level may go negative, so
 * callers queue in arrival order instead of racing for refills.
 */
export class TokenBucket {
  private readonly capacity: number;
  private readonly perMs: number;
  private level: number;
  private at: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = Math.max(1, perMinute / 6);
    this.perMs = (perMinute - this.capacity) / MINUTE;
    this.level = this.capacity;
    this.at = now();
  }

  take(n: number): number {
    const t = this.now();
    this.level = Math.min(this.capacity, this.level + (t - this.at) * this.perMs);
    this.at = t;
    this.level -= Math.min(n, this.capacity);
    return this.level >= 0 ? 0 : Math.ceil(-this.level / this.perMs);
  }
}

/**
 * The client-side quota of each provider account (`provider.requestsPerMinute`, `provider.tokensPerMinute`), so a job
 * paces itself under the account's limits instead of meeting a storm of 429s. Keyed by the provider's base URL and key
 * variable (regions sharing one account share its buckets). Tokens are counted before the call from what it may use at
 * most: the prompt's characters / 4 plus `max_tokens`. The wait happens before the call's timeout starts and ends
 * early when the call is aborted. Per daemon: several daemons on one account each get the whole quota (documented).
 */
export class ProviderQuotas {
  private readonly buckets = new Map<string, { requests: TokenBucket | null; tokens: TokenBucket | null }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Waits until the call may be made under its provider's quotas; resolves at once when none is configured. */
  async admit(provider: ProviderConfig, estimatedTokens: number, signal: AbortSignal): Promise<void> {
    if (provider.requestsPerMinute === null && provider.tokensPerMinute === null) return;
    const key = `${provider.kind}\u0000${provider.baseUrl}\u0000${provider.apiKeyEnv ?? ''}`;
    let b = this.buckets.get(key);
    if (
      !b ||
      b.requests?.perMinute !== (provider.requestsPerMinute ?? undefined) ||
      b.tokens?.perMinute !== (provider.tokensPerMinute ?? undefined)
    ) {
      b = {
        requests: provider.requestsPerMinute === null ? null : new TokenBucket(provider.requestsPerMinute, this.now),
        tokens: provider.tokensPerMinute === null ? null : new TokenBucket(provider.tokensPerMinute, this.now),
      };
      this.buckets.set(key, b);
    }
    const wait = Math.max(b.requests?.take(1) ?? 0, b.tokens?.take(estimatedTokens) ?? 0);
    if (wait > 0) await sleep(wait, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
