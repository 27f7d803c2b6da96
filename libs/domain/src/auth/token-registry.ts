import { createHash } from 'node:crypto';
import type { Problem } from '../problems/problem.js';
import { isRole, ROLES, type Principal, type Role } from './roles.js';
import { tokenHashProblem, verifyToken } from './token-hash.js';

/** One configured bearer token: who it is, what it may do, and the hash of its secret (never the secret). */
export interface TokenEntry {
  /** Shown in the audit log and stored as `jobs.submitter`; `^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`. */
  name: string;
  role: Role;
  /** `sha256:<hex>` or `scrypt:…`, as printed by `beacon token create`. */
  hash: string;
}

/** Token names: short, printable, safe in logs. */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/** The environment variable that adds tokens to the configured ones: `name:role:hash` entries, space or comma separated. */
export const TOKENS_ENV = 'BEACON_AUTH_TOKENS';

/** Checks one token entry; problems are reported under `path`. */
export function tokenEntryProblems(entry: TokenEntry, path: string): Problem[] {
  const problems: Problem[] = [];
  if (!TOKEN_NAME_PATTERN.test(entry.name)) problems.push({ path: `${path}.name`, message: `must match ${TOKEN_NAME_PATTERN.source}` });
  if (!isRole(entry.role)) problems.push({ path: `${path}.role`, message: `must be one of ${ROLES.join(', ')}` });
  const hashProblem = tokenHashProblem(entry.hash);
  if (hashProblem) problems.push({ path: `${path}.hash`, message: hashProblem });
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
    const entry = { name, role: role as Role, hash: rest.join(':') };
    if (rest.length === 0) {
      problems.push({ path, message: 'must be name:role:hash' });
      return;
    }
    const found = tokenEntryProblems(entry, path);
    if (found.length) problems.push(...found);
    else tokens.push(entry);
  });
  return { tokens, problems };
}

/** Problems with a set of tokens as a whole: names must be unique. */
export function tokenSetProblems(tokens: readonly TokenEntry[], path: string): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  tokens.forEach((t, i) => {
    if (seen.has(t.name)) problems.push({ path: `${path}[${i}].name`, message: `duplicate token name "${t.name}"` });
    seen.add(t.name);
  });
  return problems;
}

const CACHE_LIMIT = 10_000;

/**
 * Finds the principal of a presented bearer token. Results are remembered by the token's SHA-256, so a scrypt hash
 * costs its work once per token and daemon, not once per request.
 */
export class TokenRegistry {
  private readonly cache = new Map<string, Principal | null>();

  constructor(private readonly entries: readonly TokenEntry[]) {}

  /** True when at least one token is configured (the API then requires one). */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The principal whose hash `token` matches, or null. */
  authenticate(token: string): Principal | null {
    const key = createHash('sha256').update(token, 'utf8').digest('base64');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let found: Principal | null = null;
    // Every entry is checked, so the time taken does not tell which one matched.
    for (const entry of this.entries) {
      if (verifyToken(token, entry.hash) && !found) found = { name: entry.name, role: entry.role, kind: 'token' };
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, found);
    return found;
  }
}
