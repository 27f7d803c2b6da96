import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** Prefix of every token `beacon token create` makes, so a leaked one is recognisable (and greppable). */
export const TOKEN_PREFIX = 'bct_';

/** How a configured hash was made: `sha256:<64 hex>` or `scrypt:<N>:<r>:<p>:<salt base64>:<key base64>`. */
export type TokenHashScheme = 'sha256' | 'scrypt';

const SHA256 = /^sha256:([0-9a-f]{64})$/;
const SCRYPT = /^scrypt:(\d{1,8}):(\d{1,3}):(\d{1,3}):([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;
const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, keyLength: 32 };

/** A new random token: the prefix and 32 random bytes in base64url (256 bits, so a plain SHA-256 is a sound hash). */
export function createToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The hash to put in `auth.tokens[].hash`. SHA-256 suits generated tokens (they have 256 bits of entropy, so a slow
 * hash adds nothing); scrypt suits tokens a person chose.
 */
export function hashToken(token: string, scheme: TokenHashScheme = 'sha256'): string {
  if (scheme === 'sha256') return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
  const { N, r, p, keyLength } = SCRYPT_DEFAULTS;
  const salt = randomBytes(16);
  const key = scryptSync(token, salt, keyLength, { N, r, p, maxmem: 64 * 1024 * 1024 });
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${key.toString('base64')}`;
}

/** Why a configured hash cannot be used, or null when it is well formed. */
export function tokenHashProblem(hash: string): string | null {
  if (SHA256.test(hash)) return null;
  const m = SCRYPT.exec(hash);
  if (!m) return 'must be sha256:<64 lower-case hex digits> or scrypt:<N>:<r>:<p>:<salt>:<key> (see `beacon token create`)';
  const N = Number(m[1]);
  if (N < 2 || (N & (N - 1)) !== 0) return 'scrypt N must be a power of two';
  if (Number(m[2]) < 1 || Number(m[3]) < 1) return 'scrypt r and p must be at least 1';
  if (Buffer.from(m[5]!, 'base64').length < 16) return 'scrypt key must be at least 16 bytes';
  return null;
}

/** True when `token` hashes to `hash`; compares in constant time. A malformed hash matches nothing. */
export function verifyToken(token: string, hash: string): boolean {
  const sha = SHA256.exec(hash);
  if (sha) {
    const actual = createHash('sha256').update(token, 'utf8').digest();
    return timingSafeEqual(actual, Buffer.from(sha[1]!, 'hex'));
  }
  const m = SCRYPT.exec(hash);
  if (!m) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  try {
    const N = Number(m[1]);
    const r = Number(m[2]);
    const actual = scryptSync(token, Buffer.from(m[4]!, 'base64'), expected.length, { N, r, p: Number(m[3]), maxmem: 256 * N * r + 1024 * 1024 });
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}
