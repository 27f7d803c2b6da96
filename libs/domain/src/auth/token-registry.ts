import { LRUCache } from 'lru-cache';
import type { Problem } from '../problems/problem.js';
import { isRole, ROLES, type Principal, type Role } from './roles.js';
import { isSlowHash, TOKEN_ID_PATTERN, tokenDigest, tokenHashProblem, tokenIdOf, verifyToken } from './token-hash.js';

/** One configured bearer token: who it is, what it may do, and the hash of its secret (never the secret). */
export interface TokenEntry {
  /** Shown in the audit log and stored as `jobs.submitter`; `^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`. */
  name: string;
  role: Role;
  /** `sha256:<hex>` or `scrypt:…`, as printed by `beacon token create`. */
  hash: string;
  /**
   * The token's public id (`bct_<id>_<secret>`), as printed by `beacon token create`: a scrypt entry with an id is
   * checked only for tokens carrying that id. Entries made before ids existed have none.
   */
  id?: string;
}

/** Token names: short, printable, safe in logs. */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/**
 * The environment variable that adds tokens to the configured ones: `name:role:hash` or `name:role:id:hash` entries,
 * space or comma separated.
 */
export const TOKENS_ENV = 'BEACON_AUTH_TOKENS';

/** Checks one token entry; problems are reported under `path`. */
export function tokenEntryProblems(entry: TokenEntry, path: string): Problem[] {
  const problems: Problem[] = [];
  if (!TOKEN_NAME_PATTERN.test(entry.name)) problems.push({ path: `${path}.name`, message: `must match ${TOKEN_NAME_PATTERN.source}` });
  if (!isRole(entry.role)) problems.push({ path: `${path}.role`, message: `must be one of ${ROLES.join(', ')}` });
  const hashProblem = tokenHashProblem(entry.hash);
  if (hashProblem) problems.push({ path: `${path}.hash`, message: hashProblem });
  if (entry.id !== undefined && !TOKEN_ID_PATTERN.test(entry.id))
    problems.push({ path: `${path}.id`, message: 'must be 12 lower-case hex digits (the id in bct_<id>_<secret>)' });
  return problems;
}

/** Reads {@link TOKENS_ENV}; every malformed entry is a problem naming its position. */
export function parseTokensEnv(text: string | undefined): { tokens: TokenEntry[]; problems: Problem[] } {
  const tokens: TokenEntry[] = [];
  const problems: Problem[] = [];
  const items = (text ?? '').split(/[\s,]+/).filter(Boolean);
  items.forEach((item, i) => {
    const path = `${TOKENS_ENV}[${i}]`;
    const [name = '', role = '', ...rest] = item.split(':');
    // A hash starts with its scheme (sha256: or scrypt:); anything before it is the token id.
    const id = rest.length > 1 && rest[0] !== 'sha256' && rest[0] !== 'scrypt' ? rest.shift() : undefined;
    const entry: TokenEntry = { name, role: role as Role, hash: rest.join(':'), ...(id !== undefined ? { id } : {}) };
    if (rest.length === 0) {
      problems.push({ path, message: 'must be name:role:hash or name:role:id:hash' });
      return;
    }
    const found = tokenEntryProblems(entry, path);
    if (found.length) problems.push(...found);
    else tokens.push(entry);
  });
  return { tokens, problems };
}

/** Problems with a set of tokens as a whole: names and ids must be unique. */
export function tokenSetProblems(tokens: readonly TokenEntry[], path: string): Problem[] {
  const seen = new Set<string>();
  const ids = new Set<string>();
  const problems: Problem[] = [];
  tokens.forEach((t, i) => {
    if (seen.has(t.name)) problems.push({ path: `${path}[${i}].name`, message: `duplicate token name "${t.name}"` });
    seen.add(t.name);
    if (t.id !== undefined && ids.has(t.id)) problems.push({ path: `${path}[${i}].id`, message: `duplicate token id "${t.id}"` });
    if (t.id !== undefined) ids.add(t.id);
  });
  return problems;
}

/** What the fast lookup of a presented token found, without any slow hash. */
export type TokenLookup =
  | { kind: 'known'; principal: Principal }
  | { kind: 'unknown' }
  /** Only a slow (scrypt) hash can tell: these entries must be checked with {@link TokenRegistry.verify}. */
  | { kind: 'slow'; candidates: readonly TokenEntry[] };

/** The outcome of a slow check: found, not found, or not checked because too many checks are already waiting. */
export type SlowVerdict = { kind: 'known'; principal: Principal } | { kind: 'unknown' } | { kind: 'busy' };

/** Bounds of the slow checks and of the caches; the defaults suit one daemon. */
export interface TokenRegistryOptions {
  /** Slow hashes computed at once (each takes a thread of libuv's pool of 4, shared with file and DNS work). */
  maxConcurrentHashes?: number;
  /** Slow checks waiting for a thread; past this they are answered `busy` at once. */
  maxQueuedHashes?: number;
  /** Tokens remembered, each way. */
  cacheSize?: number;
  /** How long a verified token is remembered. */
  knownTtlMs?: number;
  /** How long a refused token is remembered. */
  refusedTtlMs?: number;
}

const principalOf = (entry: TokenEntry): Principal => ({ name: entry.name, role: entry.role, kind: 'token' });

/**
 * Finds the principal of a presented bearer token, doing as little work as possible before knowing it:
 *
 * 1. tokens verified (or refused) lately are remembered by their SHA-256, in bounded LRU caches with a TTL;
 * 2. `sha256:` entries are found by the token's digest in a map (the lookup time depends only on the digest, which
 *    tells an attacker nothing about any configured token);
 * 3. a token in the `bct_<id>_<secret>` form names the one `scrypt:` entry holding that id, so an unknown id costs
 *    nothing; only tokens of another form are checked against the `scrypt:` entries without an id (configured before
 *    ids existed), and those checks are bounded here and rate-limited per client by the caller.
 *
 * Slow checks run on libuv's thread pool, at most `maxConcurrentHashes` at once and `maxQueuedHashes` waiting.
 */
export class TokenRegistry {
  private readonly byDigest = new Map<string, TokenEntry>();
  private readonly slowById = new Map<string, TokenEntry>();
  private readonly slowWithoutId: TokenEntry[] = [];
  private readonly known: LRUCache<string, Principal>;
  private readonly refused: LRUCache<string, true>;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly entries: readonly TokenEntry[],
    options: TokenRegistryOptions = {},
  ) {
    for (const entry of entries) {
      const sha = /^sha256:([0-9a-f]{64})$/.exec(entry.hash);
      if (sha) this.byDigest.set(sha[1]!, entry);
      else if (!isSlowHash(entry.hash)) continue;
      else if (entry.id) this.slowById.set(entry.id, entry);
      else this.slowWithoutId.push(entry);
    }
    const max = options.cacheSize ?? 10_000;
    this.known = new LRUCache({ max, ttl: options.knownTtlMs ?? 10 * 60_000 });
    this.refused = new LRUCache({ max, ttl: options.refusedTtlMs ?? 60_000 });
    this.maxConcurrent = options.maxConcurrentHashes ?? 1;
    this.maxQueued = options.maxQueuedHashes ?? 32;
  }

  /** True when at least one token is configured (the API then requires one). */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Slow checks running and waiting now. */
  get pendingChecks(): number {
    return this.running + this.waiting.length;
  }

  /** The fast part: cache, digest map and token id; never a slow hash. */
  lookup(token: string): TokenLookup {
    const digest = tokenDigest(token);
    const cached = this.known.get(digest);
    if (cached) return { kind: 'known', principal: cached };
    const sha = this.byDigest.get(digest);
    if (sha) return { kind: 'known', principal: principalOf(sha) };
    if (this.refused.has(digest)) return { kind: 'unknown' };
    const id = tokenIdOf(token);
    const byId = id === null ? undefined : this.slowById.get(id);
    const candidates = id === null ? this.slowWithoutId : byId ? [byId] : [];
    return candidates.length > 0 ? { kind: 'slow', candidates } : { kind: 'unknown' };
  }

  /** The slow part: checks `token` against `candidates` (from {@link lookup}) off the event loop, within the bounds. */
  async verify(token: string, candidates: readonly TokenEntry[]): Promise<SlowVerdict> {
    const digest = tokenDigest(token);
    const release = await this.slot();
    if (!release) return { kind: 'busy' };
    try {
      // Another request may have settled the same token while this one waited.
      const cached = this.known.get(digest);
      if (cached) return { kind: 'known', principal: cached };
      if (this.refused.has(digest)) return { kind: 'unknown' };
      for (const entry of candidates) {
        if (await verifyToken(token, entry.hash)) {
          const principal = principalOf(entry);
          this.known.set(digest, principal);
          return { kind: 'known', principal };
        }
      }
      this.refused.set(digest, true);
      return { kind: 'unknown' };
    } finally {
      release();
    }
  }

  /** {@link lookup}, then {@link verify} when needed: the principal, null, or `busy`. */
  async authenticate(token: string): Promise<Principal | null | 'busy'> {
    const found = this.lookup(token);
    if (found.kind === 'known') return found.principal;
    if (found.kind === 'unknown') return null;
    const verdict = await this.verify(token, found.candidates);
    return verdict.kind === 'known' ? verdict.principal : verdict.kind === 'busy' ? 'busy' : null;
  }

  /** A running slot (its release function), waiting for one if needed, or null when too many already wait. */
  private async slot(): Promise<(() => void) | null> {
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) return null;
      // The releasing check hands its slot over, so `running` stays counted.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}
