import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** Prefix of every token `beacon token create` makes, so a leaked one is recognisable (and greppable). */
export const TOKEN_PREFIX = 'bct_';

/** A token's public id: 12 lower-case hex digits, kept in its configuration entry so it is found without hashing. */
export const TOKEN_ID_PATTERN = /^[0-9a-f]{12}$/;

/** `bct_<id>_<secret>`: the id is public (it names the entry to check), the 43-character secret is not. */
const ID_TOKEN = /^bct_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

/** How a configured hash was made: `sha256:<64 hex>` or `scrypt:<N>:<r>:<p>:<salt base64>:<key base64>`. */
export type TokenHashScheme = 'sha256' | 'scrypt';

const SHA256 = /^sha256:([0-9a-f]{64})$/;
const SCRYPT = /^scrypt:(\d{1,8}):(\d{1,3}):(\d{1,3}):([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;
const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, keyLength: 32 };

/**
 * A new random token, `bct_<id>_<secret>`: a public id of 6 random bytes in hex, and 32 random bytes in base64url
 * (256 bits, so a plain SHA-256 is a sound hash). The id goes into the configuration entry, so a daemon finds the one
 * entry to check before any slow hash.
 */
export function createToken(): { token: string; id: string } {
  const id = randomBytes(6).toString('hex');
  return { token: `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`, id };
}

/** The public id of a token in the `bct_<id>_<secret>` form, or null for any other token (older or chosen ones). */
export function tokenIdOf(token: string): string | null {
  return ID_TOKEN.exec(token)?.[1] ?? null;
}

/** The SHA-256 of a token, hex: what a `sha256:` entry holds, and the key of the verification caches. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `hash` is a scrypt hash (slow to check: never on the event loop). */
export function isSlowHash(hash: string): boolean {
  return hash.startsWith('scrypt:');
}

/**
 * The hash to put in `auth.tokens[].hash` (made once, by the CLI; a daemon only verifies, off the event loop).
 * SHA-256 suits generated tokens (they have 256 bits of entropy, so a slow hash adds nothing); scrypt suits tokens a
 * person chose.
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
  // Each check needs 128 × N × r bytes; a bigger cost would let every login attempt take a large share of memory.
  if (N * Number(m[2]) > 2 ** 21) return 'scrypt N × r must be at most 2097152 (256 MiB per check)';
  if (Buffer.from(m[5]!, 'base64').length < 16) return 'scrypt key must be at least 16 bytes';
  return null;
}

/**
 * True when `token` hashes to `hash`; compares in constant time. A malformed hash matches nothing. A scrypt hash is
 * computed on libuv's thread pool (`crypto.scrypt`), never on the event loop; callers bound how many run at once.
 */
export async function verifyToken(token: string, hash: string): Promise<boolean> {
  const sha = SHA256.exec(hash);
  if (sha) return timingSafeEqual(Buffer.from(tokenDigest(token), 'hex'), Buffer.from(sha[1]!, 'hex'));
  const m = SCRYPT.exec(hash);
  if (!m || tokenHashProblem(hash) !== null) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const N = Number(m[1]);
  const r = Number(m[2]);
  const actual = await new Promise<Buffer | null>((resolve) => {
    try {
      scrypt(
        token,
        Buffer.from(m[4]!, 'base64'),
        expected.length,
        { N, r, p: Number(m[3]), maxmem: 256 * N * r + 1024 * 1024 },
        (err, key) => resolve(err ? null : key),
      );
    } catch {
      resolve(null); // parameters Node refuses (p too large for r)
    }
  });
  return actual !== null && timingSafeEqual(actual, expected);
}
