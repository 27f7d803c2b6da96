/** Options of a {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt in the window. Default 0.2. */
  ratio?: number;
  /** Sliding window, rounded up to whole seconds. Default 60 000. */
  windowMs?: number;
  /** Retries always allowed per second of window, whatever the traffic. Default 1. */
  minPerSecond?: number;
}

/** What a {@link RetryBudget} knows about one key over the current window. */
export interface RetryBudgetSnapshot {
  firstAttempts: number;
  retries: number;
  /** Retries that would still be let through now. */
  allowed: number;
}

interface Bucket {
  second: number;
  firstAttempts: number;
  retries: number;
}

/**
 * Keeps retries a bounded fraction of first attempts per key (e.g. "region|model"), Finagle-style, so an
 * outage cannot turn into a retry storm: over a sliding window, retries ≤ ratio × first attempts + a floor of
 * minPerSecond × window seconds. Counts live in per-second buckets; buckets and keys older than the window are
 * dropped, so memory is bounded by keys active in the window × window seconds.
 */
export class RetryBudget {
  private readonly ratio: number;
  private readonly windowSeconds: number;
  private readonly reserve: number;
  private readonly keys = new Map<string, Bucket[]>();
  private lastSweep = -Infinity;

  constructor(
    opts: RetryBudgetOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    const ratio = opts.ratio ?? 0.2;
    const windowMs = opts.windowMs ?? 60_000;
    const minPerSecond = opts.minPerSecond ?? 1;
    if (!(ratio >= 0) || !Number.isFinite(ratio)) throw new RangeError(`ratio must be a finite number >= 0, got ${ratio}`);
    if (!(windowMs >= 1000) || !Number.isFinite(windowMs)) throw new RangeError(`windowMs must be >= 1000, got ${windowMs}`);
    if (!(minPerSecond >= 0) || !Number.isFinite(minPerSecond)) {
      throw new RangeError(`minPerSecond must be a finite number >= 0, got ${minPerSecond}`);
    }
    this.ratio = ratio;
    this.windowSeconds = Math.ceil(windowMs / 1000);
    this.reserve = minPerSecond * this.windowSeconds;
  }

  /** Counts a first attempt (attempt 1 of a cell) towards the budget of `key`. */
  recordFirstAttempt(key: string): void {
    this.bucketNow(key).firstAttempts += 1;
  }

  /** True, and the retry is counted, if the budget of `key` allows one more retry now. */
  tryRetry(key: string): boolean {
    if (!this.canRetry(key)) return false;
    this.bucketNow(key).retries += 1;
    return true;
  }

  /** Whether one more retry of `key` would be allowed now; consumes nothing. */
  canRetry(key: string): boolean {
    return this.snapshot(key).allowed > 0;
  }

  /** Counts of `key` over the current window. */
  snapshot(key: string): RetryBudgetSnapshot {
    const current = this.currentSecond();
    this.sweep(current);
    const buckets = this.live(key, current);
    let firstAttempts = 0;
    let retries = 0;
    for (const b of buckets) {
      firstAttempts += b.firstAttempts;
      retries += b.retries;
    }
    const allowed = Math.max(0, Math.floor(this.reserve + this.ratio * firstAttempts + 1e-9) - retries);
    return { firstAttempts, retries, allowed };
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }

  private currentSecond(): number {
    return Math.floor(this.now() / 1000);
  }

  private bucketNow(key: string): Bucket {
    const current = this.currentSecond();
    this.sweep(current);
    const buckets = this.live(key, current);
    const last = buckets.at(-1);
    // A clock that steps back is charged to the newest bucket rather than reopening an old one.
    if (last && last.second >= current) return last;
    const bucket: Bucket = { second: current, firstAttempts: 0, retries: 0 };
    buckets.push(bucket);
    this.keys.set(key, buckets);
    return bucket;
  }

  /** The buckets of `key` inside the window, dropping older ones (and the key if none remain). */
  private live(key: string, current: number): Bucket[] {
    const buckets = this.keys.get(key);
    if (!buckets) return [];
    const oldest = current - this.windowSeconds + 1;
    // Buckets are in time order: drop the leading ones that left the window.
    const firstLive = buckets.findIndex((b) => b.second >= oldest);
    const drop = firstLive === -1 ? buckets.length : firstLive;
    if (drop > 0) buckets.splice(0, drop);
    if (buckets.length === 0) this.keys.delete(key);
    return buckets;
  }

  /** Once per window, prunes every key so idle keys do not accumulate. */
  private sweep(current: number): void {
    if (current - this.lastSweep < this.windowSeconds) return;
    this.lastSweep = current;
    for (const key of [...this.keys.keys()]) this.live(key, current);
  }
}
