import { z } from 'zod';
import { SIGNING_KEY_ID_PATTERN } from '../auth/auth-config.schema.js';
import { publicKeyOf } from '../auth/spec-signature.js';
import { intBetween } from '../json/common.schema.js';
import type { Problem } from '../problems/problem.js';

/**
 * `transparency:` — the evidence log. The signing key is named by id (the same id form as `signing.keys`) and read
 * from a PEM file or an environment variable, never from the configuration itself; `keys` lists earlier keys' public
 * halves so heads they signed stay verifiable after a rotation.
 */
export interface TransparencyConfig {
  /** The log's name in its checkpoints (c2sp.org/tlog-checkpoint origin). */
  origin: string;
  /** Heads and proofs readable without a token. */
  publicRead: boolean;
  /** The key that signs new heads and bundle statements; none: the log grows but no head is signed. */
  signingKey: { id: string; privateKeyFile: string | null; privateKeyEnv: string | null } | null;
  /** Earlier (or other) log keys, public halves only. */
  keys: { id: string; publicKey: string }[];
  /** How often the daemon logs the receipts of finished jobs. */
  checkpointMs: number;
}

export const TRANSPARENCY_DEFAULTS: TransparencyConfig = {
  origin: 'beacon',
  publicRead: false,
  signingKey: null,
  keys: [],
  checkpointMs: 5000,
};

const keyId = () => z.string().regex(SIGNING_KEY_ID_PATTERN, { error: `must match ${SIGNING_KEY_ID_PATTERN.source}` });

export const transparencySectionSchema = z.strictObject({
  origin: z
    .string()
    .regex(/^[\x21-\x7e][\x20-\x7e]{0,199}$/, { error: 'must be printable ASCII without a newline, 1-200 characters' })
    .default(TRANSPARENCY_DEFAULTS.origin),
  publicRead: z.boolean().default(false),
  signingKey: z
    .strictObject({
      id: keyId(),
      privateKeyFile: z.string().min(1).nullable().default(null),
      privateKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' })
        .nullable()
        .default(null),
    })
    .nullable()
    .default(null),
  keys: z
    .array(
      z.strictObject({
        id: keyId(),
        publicKey: z
          .string()
          .refine((k) => publicKeyOf(k) !== null, { error: 'must be an Ed25519 public key: 32 bytes in base64, or PEM' }),
      }),
    )
    .default([]),
  checkpointMs: intBetween(100, 3_600_000).default(TRANSPARENCY_DEFAULTS.checkpointMs),
});

export function buildTransparency(
  section: z.output<typeof transparencySectionSchema> | undefined,
  problems: Problem[],
): TransparencyConfig {
  const t = section ?? transparencySectionSchema.parse({});
  if (t.signingKey && (t.signingKey.privateKeyFile === null) === (t.signingKey.privateKeyEnv === null)) {
    problems.push({ path: 'transparency.signingKey', message: 'give exactly one of privateKeyFile and privateKeyEnv' });
  }
  const ids = new Set<string>(t.signingKey ? [t.signingKey.id] : []);
  t.keys.forEach((k, i) => {
    if (ids.has(k.id)) problems.push({ path: `transparency.keys[${i}].id`, message: `duplicate key id "${k.id}"` });
    ids.add(k.id);
  });
  return t;
}
