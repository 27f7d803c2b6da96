import type { TokenEntry } from './token-registry.js';

/** `auth:` in the configuration: the bearer tokens the API accepts (none: open, and loopback only). */
export interface AuthConfig {
  tokens: TokenEntry[];
}

/** A public key trusted to sign job specs. */
export interface TrustedKey {
  /** Named in `Beacon-Key-Id` and in the nonce table; `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`. */
  id: string;
  /** Ed25519 public key: 32 bytes in base64 (as the Go runner's `public_key`), or a PEM `PUBLIC KEY`. */
  publicKey: string;
  status: 'active' | 'revoked';
  /** RFC 3339; the key signs nothing before this time. */
  notBefore: string | null;
  /** RFC 3339; the key signs nothing after this time. */
  notAfter: string | null;
}

/** `signing:` in the configuration: whether job specs must be signed, by which keys, and how fresh. */
export interface SigningConfig {
  /** When true every `POST /api/v1/jobs` must carry a valid signature; when false signatures are not checked. */
  required: boolean;
  keys: TrustedKey[];
  /** How far in the future a signed timestamp may be (clock skew). */
  maxSkewSeconds: number;
  /** How old a signed timestamp may be; nonces are kept at least this long. */
  maxAgeSeconds: number;
}

/** Built-in: no tokens, signatures not required. */
export function defaultAuthConfig(): AuthConfig {
  return { tokens: [] };
}

/** Built-in: signatures not required, 5 minutes of skew, 10 minutes of age (the Go runner's settings). */
export function defaultSigningConfig(): SigningConfig {
  return { required: false, keys: [], maxSkewSeconds: 300, maxAgeSeconds: 600 };
}
