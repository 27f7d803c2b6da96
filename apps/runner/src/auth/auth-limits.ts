import { isIPv6 } from 'node:net';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';

/** The answer of a limiter: allowed, or refused with how long until the next request fits. */
export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** The table the per-token counts live in (created by a migration, not by the library). */
const RATE_LIMIT_TABLE = 'rate_limits';
/** A count the database does not give within this goes to the in-memory insurance limiter instead. */
const STORE_TIMEOUT_MS = 500;

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** `consume` as a decision; anything but a refusal (a store error the insurance limiter could not absorb) allows. */
async function take(limiter: RateLimiterAbstract, key: string, points = 1): Promise<LimitDecision> {
  try {
    await limiter.consume(key, points);
    return { allowed: true };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: retryAfter(err) };
    // Failing open: a rate limit protects capacity, and refusing every request because its counter is unreachable
    // would turn a database fault into an outage of the API.
    return { allowed: true };
  }
}

/**
 * Requests per minute per token, counted in PostgreSQL (`rate_limits`) so a token talking to N daemons gets the rate
 * once, not N times. A token over its rate is then blocked in memory for the rest of the window (no more queries for
 * it), and while the database is slow or down the counts fall back to each daemon's memory.
 */
export class TokenRateLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    ds: DataSource,
    readonly perMinute: number,
  ) {
    const insurance = new RateLimiterMemory({ keyPrefix: 'token', points: perMinute, duration: 60 });
    const store = new RateLimiterPostgres({
      storeClient: ds,
      storeType: 'typeorm',
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      keyPrefix: 'token',
      points: perMinute,
      duration: 60,
      inMemoryBlockOnConsumed: perMinute + 1,
      insuranceLimiter: insurance,
    });
    this.limiter = new RLWrapperTimeouts({ limiter: store, timeoutMs: STORE_TIMEOUT_MS, insuranceLimiter: insurance });
  }

  take(tokenName: string): Promise<LimitDecision> {
    return take(this.limiter, tokenName);
  }
}

/**
 * Failed authentications per client address and minute, counted in this daemon's memory: its purpose is to bound the
 * work an address can make this daemon do (hashing guessed tokens), which is a per-daemon resource, and counting in
 * the database would turn every guessed token into a database write, the very load an attacker wants. Points are
 * taken before a token is checked and given back when it turns out valid, so concurrent guesses are counted too.
 */
export class FailedAuthLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly perMinute: number) {
    this.limiter = new RateLimiterMemory({ keyPrefix: 'auth-fail', points: perMinute, duration: 60 });
  }

  /**
   * Counts an attempt that may fail, as `hashes` points (the slow hashes it may cost, at least 1, at most the whole
   * allowance), so the allowance bounds hashing work whatever the number of entries to check; refused once the
   * address is over its limit.
   */
  attempt(address: string, hashes = 1): Promise<LimitDecision> {
    return take(this.limiter, clientKey(address), this.points(hashes));
  }

  /** Gives back the points of an attempt that turned out valid. */
  async succeeded(address: string, hashes = 1): Promise<void> {
    await this.limiter.reward(clientKey(address), this.points(hashes)).catch(() => undefined);
  }

  private points(hashes: number): number {
    return Math.min(this.perMinute, Math.max(1, hashes));
  }
}

/** Waiting requests let through per event-loop turn. */
const PASSES_PER_TURN = 8;

/**
 * Spreads low-priority work over event-loop turns: `pass()` resolves for at most {@link PASSES_PER_TURN} waiters per
 * turn, in arrival order. A burst of hundreds of requests with guessed tokens arrives in one turn; building and writing
 * all their refusals in that turn would hold timers, health checks, valid requests and engine callbacks back for as
 * long, so they go a few per turn and everything else runs in between.
 */
export class TurnGate {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  pass(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const resolve of this.waiting.splice(0, PASSES_PER_TURN)) resolve();
      if (this.waiting.length > 0) this.schedule();
    });
  }
}

/**
 * The key a client is limited by: its IPv4 address, or the /64 prefix of its IPv6 address (one host usually holds a
 * whole /64, so counting single IPv6 addresses would let it pick a fresh one per request).
 */
export function clientKey(address: string): string {
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!isIPv6(plain)) return plain;
  const [head = '', tail = ''] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = plain.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
