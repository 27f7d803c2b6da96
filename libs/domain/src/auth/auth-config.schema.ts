import { z } from 'zod';
import { intBetween } from '../json/common.schema.js';
import type { Problem } from '../problems/problem.js';
import type { AuthConfig, SigningConfig } from './auth.types.js';
import { ROLES } from './roles.js';
import { publicKeyOf } from './spec-signature.js';
import { TOKEN_ID_PATTERN, tokenHashProblem } from './token-hash.js';
import { TOKEN_NAME_PATTERN, tokenSetProblems } from './token-registry.js';

/** Ids of trusted signing keys (named in `Beacon-Key-Id` and in the nonce table). */
export const SIGNING_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const timestamp = () =>
  z.string().refine((t) => RFC3339.test(t) && !Number.isNaN(Date.parse(t)), { error: 'must be an RFC 3339 timestamp' });

/** `auth:` — `tokens: [{ name, role, hash, id }]`; the hash and id come from `beacon token create`. */
export const authSectionSchema = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        name: z.string().regex(TOKEN_NAME_PATTERN, { error: `must match ${TOKEN_NAME_PATTERN.source}` }),
        role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
        hash: z.string().refine((h) => tokenHashProblem(h) === null, {
          error:
            'must be sha256:<64 hex digits> or scrypt:<N>:<r>:<p>:<salt>:<key>, as printed by `beacon token create` (never the token itself)',
        }),
        id: z
          .string()
          .regex(TOKEN_ID_PATTERN, {
            error: 'must be 12 lower-case hex digits, the id in the token bct_<id>_<secret> (as printed by `beacon token create`)',
          })
          .optional(),
      }),
    )
    .default([]),
});

/** `signing:` — `required`, `keys: [{ id, publicKey, status, notBefore, notAfter }]`, `maxSkewSeconds`, `maxAgeSeconds`. */
export const signingSectionSchema = z.strictObject({
  required: z.boolean().default(false),
  maxSkewSeconds: intBetween(0, 86_400).default(300),
  maxAgeSeconds: intBetween(1, 7 * 86_400).default(600),
  keys: z
    .array(
      z.strictObject({
        id: z.string().regex(SIGNING_KEY_ID_PATTERN, { error: `must match ${SIGNING_KEY_ID_PATTERN.source}` }),
        publicKey: z
          .string()
          .refine((k) => publicKeyOf(k) !== null, { error: 'must be an Ed25519 public key: 32 bytes in base64, or PEM' }),
        status: z.enum(['active', 'revoked']).default('active'),
        notBefore: timestamp().nullable().default(null),
        notAfter: timestamp().nullable().default(null),
      }),
    )
    .default([]),
});

/** Builds `auth` from its parsed section, recording problems no single field shows (duplicate names). */
export function buildAuth(section: z.output<typeof authSectionSchema> | undefined, problems: Problem[]): AuthConfig {
  const tokens = section?.tokens ?? [];
  problems.push(...tokenSetProblems(tokens, 'auth.tokens'));
  return { tokens };
}

/** Builds `signing` from its parsed section; `required` without an active key would refuse every job. */
export function buildSigning(section: z.output<typeof signingSectionSchema> | undefined, problems: Problem[]): SigningConfig {
  const signing = section ?? signingSectionSchema.parse({});
  const ids = new Set<string>();
  signing.keys.forEach((k, i) => {
    if (ids.has(k.id)) problems.push({ path: `signing.keys[${i}].id`, message: `duplicate key id "${k.id}"` });
    ids.add(k.id);
    if (k.notBefore && k.notAfter && Date.parse(k.notBefore) > Date.parse(k.notAfter)) {
      problems.push({ path: `signing.keys[${i}].notAfter`, message: 'must not be before notBefore' });
    }
  });
  if (signing.required && !signing.keys.some((k) => k.status === 'active')) {
    problems.push({ path: 'signing.required', message: 'signatures are required but no active key is configured in signing.keys' });
  }
  return signing;
}
