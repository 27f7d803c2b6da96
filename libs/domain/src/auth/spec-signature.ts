import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import type { SigningConfig, TrustedKey } from './auth.types.js';
import { jsonChildPath } from '../json/zod-issue.mapper.js';
import { specDecision } from '../job-spec/job-spec.reader.js';
import { beaconSigningString, goCanonicalForms, goV1Covered } from './spec-canonical.js';

/** Request headers of Beacon's signature form (lower-case, as Node gives them). */
export const SIGNATURE_HEADERS = {
  keyId: 'beacon-key-id',
  timestamp: 'beacon-timestamp',
  nonce: 'beacon-nonce',
  signature: 'beacon-signature',
} as const;

/** Every way a signed submission can be refused; each has its own code. */
export type SignatureErrorCode =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_invalid'
  | 'key_unknown'
  | 'key_revoked'
  | 'key_expired'
  | 'timestamp_missing'
  | 'timestamp_invalid'
  | 'timestamp_skew'
  | 'timestamp_stale'
  | 'nonce_missing'
  | 'nonce_invalid'
  | 'unsigned_override';

/** A verified signature: who signed, which form, and the nonce to record (with when it may be forgotten). */
export interface VerifiedSignature {
  keyId: string;
  form: 'beacon' | 'go-raw' | 'go-v1' | 'go-raw-escaped' | 'go-v1-escaped';
  nonce: string;
  signedAt: Date;
  /** The nonce must be kept until then; after it the timestamp alone is too old to be accepted. */
  nonceExpiresAt: Date;
  /**
   * What to read the job from when it is not the body as received: a `go-v1` signature leaves null, "", 0 and empty
   * values out, so the job is read from the values it covers.
   */
  readAs?: Record<string, unknown>;
}

/** Why a submission's signature was refused: a code, an explanation, and the header or JSON path concerned. */
export interface SignatureFailure {
  code: SignatureErrorCode;
  message: string;
  path: string;
  /** 400 when the signature is missing or malformed, 403 when it is well formed but not acceptable. */
  status: 400 | 403;
}

export type SignatureCheck = { ok: true; signature: VerifiedSignature } | { ok: false; failure: SignatureFailure };

/** What a submission carries: the body bytes, the parsed body, and the request headers. */
export interface SignedSubmission {
  body: Uint8Array;
  value: unknown;
  headers: Record<string, string | string[] | undefined>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const NONCE = /^[A-Za-z0-9+/=_-]{8,128}$/;
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function fail(code: SignatureErrorCode, message: string, path: string): SignatureCheck {
  const status = [
    'signature_missing',
    'signature_malformed',
    'timestamp_missing',
    'timestamp_invalid',
    'nonce_missing',
    'nonce_invalid',
  ].includes(code)
    ? 400
    : 403;
  return { ok: false, failure: { code, message, path, status } };
}

function decodeBase64(text: string): Buffer | null {
  if (BASE64.test(text)) return Buffer.from(text, 'base64');
  if (BASE64URL.test(text)) return Buffer.from(text, 'base64url');
  return null;
}

/** The Ed25519 key in a trusted key's `publicKey` (32 bytes base64, or PEM), or null when it is not one. */
export function publicKeyOf(text: string): KeyObject | null {
  try {
    if (text.includes('BEGIN')) {
      const key = createPublicKey(text);
      return key.asymmetricKeyType === 'ed25519' ? key : null;
    }
    const raw = decodeBase64(text.trim());
    if (!raw || raw.length !== 32) return null;
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** The 32 raw bytes of an Ed25519 public key, base64 (the Go runner's `public_key` form). */
export function rawPublicKeyBase64(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length).toString('base64');
}

function header(headers: SignedSubmission['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

interface Claimed {
  key: TrustedKey;
  publicKey: KeyObject;
  signature: Buffer;
  timestamp: string;
  timestampPath: string;
  nonce: string;
  noncePath: string;
  /** Candidate messages; the signature must match one. */
  messages: { form: VerifiedSignature['form']; text: string | Uint8Array }[];
  signaturePath: string;
  /** The signed Go spec and its JSON path (Go forms only). */
  spec?: Record<string, unknown>;
  base: string;
}

function checkKey(key: TrustedKey | undefined, described: string, path: string, now: Date): SignatureCheck | null {
  if (!key) return fail('key_unknown', `${described} is not a trusted signing key`, path);
  if (key.status === 'revoked') return fail('key_revoked', `signing key "${key.id}" has been revoked`, path);
  if (key.notBefore && now.getTime() < Date.parse(key.notBefore)) {
    return fail('key_expired', `signing key "${key.id}" is not valid before ${key.notBefore}`, path);
  }
  if (key.notAfter && now.getTime() > Date.parse(key.notAfter)) {
    return fail('key_expired', `signing key "${key.id}" expired at ${key.notAfter}`, path);
  }
  return null;
}

function claimBeacon(sub: SignedSubmission, config: SigningConfig, now: Date): Claimed | SignatureCheck {
  const H = SIGNATURE_HEADERS;
  const sig = header(sub.headers, H.signature)!.trim();
  const keyId = header(sub.headers, H.keyId)?.trim();
  if (!keyId) return fail('signature_missing', `header ${H.keyId} is required with ${H.signature}`, H.keyId);
  if (!KEY_ID.test(keyId)) return fail('signature_malformed', `header ${H.keyId} must match ${KEY_ID.source}`, H.keyId);
  const key = config.keys.find((k) => k.id === keyId);
  const keyProblem = checkKey(key, `key id "${keyId}"`, H.keyId, now);
  if (keyProblem) return keyProblem;
  const publicKey = publicKeyOf(key!.publicKey);
  if (!publicKey) return fail('key_unknown', `signing key "${keyId}" has no usable Ed25519 public key`, H.keyId);
  const signature = decodeBase64(sig);
  if (!signature || signature.length !== 64)
    return fail('signature_malformed', `header ${H.signature} must be a base64 Ed25519 signature (64 bytes)`, H.signature);
  const timestamp = header(sub.headers, H.timestamp)?.trim() ?? '';
  const nonce = header(sub.headers, H.nonce)?.trim() ?? '';
  return {
    key: key!,
    publicKey,
    signature,
    timestamp,
    timestampPath: H.timestamp,
    nonce,
    noncePath: H.nonce,
    signaturePath: H.signature,
    base: '$',
    messages: [{ form: 'beacon', text: beaconSigningString({ keyId, timestamp, nonce, body: sub.body }) }],
  };
}

function claimGo(spec: Record<string, unknown>, base: string, config: SigningConfig, now: Date): Claimed | SignatureCheck {
  const sigPath = `${base}.signature`;
  const keyPath = `${base}.public_key`;
  if (typeof spec.signature !== 'string' || spec.signature === '')
    return fail('signature_missing', `${sigPath} is required (a base64 Ed25519 signature)`, sigPath);
  if (typeof spec.public_key !== 'string' || spec.public_key === '')
    return fail('signature_missing', `${keyPath} is required with ${sigPath}`, keyPath);
  const presented = publicKeyOf(spec.public_key);
  if (!presented) return fail('signature_malformed', `${keyPath} must be a base64 Ed25519 public key (32 bytes)`, keyPath);
  const raw = rawPublicKeyBase64(presented);
  const key = config.keys.find((k) => {
    const trusted = publicKeyOf(k.publicKey);
    return trusted !== null && rawPublicKeyBase64(trusted) === raw;
  });
  const keyProblem = checkKey(key, `public key ${raw}`, keyPath, now);
  if (keyProblem) return keyProblem;
  const signature = decodeBase64(spec.signature);
  if (!signature || signature.length !== 64)
    return fail('signature_malformed', `${sigPath} must be a base64 Ed25519 signature (64 bytes)`, sigPath);
  const metadata = isObject(spec.metadata) ? spec.metadata : {};
  return {
    key: key!,
    publicKey: presented,
    signature,
    signaturePath: sigPath,
    spec,
    base,
    timestamp: typeof metadata.timestamp === 'string' ? metadata.timestamp : '',
    timestampPath: `${base}.metadata.timestamp`,
    nonce: typeof metadata.nonce === 'string' ? metadata.nonce : '',
    noncePath: `${base}.metadata.nonce`,
    messages: goCanonicalForms(spec).map((f) => ({ form: f.name, text: f.text })),
  };
}

/** Most wrapper fields tried one by one to name the one that overrides the signed spec (the body is capped anyway). */
const MAX_WRAPPER_FIELDS_NAMED = 64;

/**
 * Only the portal wrapper's `jobspec` is signed, yet the spec reader takes `target_regions`, `min_regions` and
 * `min_success_rate` from the wrapper over the spec's own. Each unsigned field may repeat what the signed spec decides
 * (the portal sends them all) but never change it. Compared on what the reader makes of the body, so every wrapper
 * field it reads, now or later, is covered without a list to keep in step.
 */
function unsignedOverride(wrapper: Record<string, unknown>, spec: Record<string, unknown>): SignatureCheck | null {
  const signed = specDecision({ jobspec: spec });
  if (specDecision(wrapper) === signed) return null;
  const fields = Object.keys(wrapper)
    .filter((k) => k !== 'jobspec')
    .slice(0, MAX_WRAPPER_FIELDS_NAMED);
  const culprit = fields.find((k) => specDecision({ jobspec: spec, [k]: wrapper[k] }) !== signed);
  const path = culprit === undefined ? '$' : jsonChildPath('$', culprit);
  return fail(
    'unsigned_override',
    `${path} is not covered by the signature and changes what the signed $.jobspec decides (its regions or constraints); leave it out or make it equal to the signed value`,
    path,
  );
}

/**
 * What a `go-v1` signature says of a spec: the values it covers (null, "", 0 and empty objects left out, as the Go
 * runner reads them: its zero values mean "the default"), with the `id` and `created_at` that no Go form signs. A
 * `parameters.temperature: 0` added to a signed spec verifies against the same signature, so it must not count.
 */
function v1Signed(spec: Record<string, unknown>): Record<string, unknown> {
  const unsigned = Object.fromEntries(['id', 'created_at'].filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]]));
  return { ...goV1Covered(spec), ...unsigned };
}

/**
 * Verifies the signature of a job submission, once, on what was received. Two forms are accepted:
 *
 * - **Beacon**: headers `Beacon-Key-Id`, `Beacon-Timestamp` (RFC 3339), `Beacon-Nonce` and `Beacon-Signature`
 *   (base64 Ed25519 over {@link beaconSigningString}, which covers the body bytes);
 * - **Go runner / portal**: `signature` and `public_key` in the spec (the `jobspec` of a portal wrapper, whose other
 *   fields are not signed), `metadata.timestamp` and `metadata.nonce` inside it, over {@link goCanonicalForms}.
 *
 * Then the key must be trusted, active and within its validity window, the timestamp no further ahead than
 * `maxSkewSeconds` nor older than `maxAgeSeconds`, and a nonce present; recording the nonce is the caller's job.
 */
export function verifySpecSignature(sub: SignedSubmission, config: SigningConfig, now: Date = new Date()): SignatureCheck {
  let claimed: Claimed | SignatureCheck;
  if (header(sub.headers, SIGNATURE_HEADERS.signature) !== undefined) claimed = claimBeacon(sub, config, now);
  else if (isObject(sub.value) && isObject(sub.value.jobspec) && 'signature' in sub.value.jobspec) {
    claimed = claimGo(sub.value.jobspec, '$.jobspec', config, now);
  } else if (isObject(sub.value) && 'signature' in sub.value) claimed = claimGo(sub.value, '$', config, now);
  else {
    return fail(
      'signature_missing',
      `this daemon accepts signed job specs only: send the ${SIGNATURE_HEADERS.signature}, ${SIGNATURE_HEADERS.keyId}, ` +
        `${SIGNATURE_HEADERS.timestamp} and ${SIGNATURE_HEADERS.nonce} headers, or signature and public_key in the spec`,
      SIGNATURE_HEADERS.signature,
    );
  }
  if ('ok' in claimed) return claimed;
  const c = claimed;
  if (c.timestamp === '') return fail('timestamp_missing', `${c.timestampPath} is required (RFC 3339)`, c.timestampPath);
  const at = RFC3339.test(c.timestamp) ? Date.parse(c.timestamp) : NaN;
  if (Number.isNaN(at))
    return fail(
      'timestamp_invalid',
      `${c.timestampPath} must be an RFC 3339 timestamp (got ${JSON.stringify(c.timestamp.slice(0, 64))})`,
      c.timestampPath,
    );
  if (c.nonce === '')
    return fail(
      'nonce_missing',
      `${c.noncePath} is required: a unique value per submission, so a signed spec cannot be replayed`,
      c.noncePath,
    );
  if (!NONCE.test(c.nonce)) return fail('nonce_invalid', `${c.noncePath} must match ${NONCE.source}`, c.noncePath);
  const matched = c.messages.find((m) => {
    const data = typeof m.text === 'string' ? Buffer.from(m.text, 'utf8') : m.text;
    return edVerify(null, data, c.publicKey, c.signature);
  });
  if (!matched) {
    return fail(
      'signature_invalid',
      `the signature does not match the spec for key "${c.key.id}" (the spec was changed after signing, or signed in another form)`,
      c.signaturePath,
    );
  }
  // Only signed content decides what the job is: the spec as its signature covers it, and the portal wrapper's
  // unsigned fields only where they repeat it.
  let readAs: Record<string, unknown> | undefined;
  if (c.spec) {
    const signedSpec = matched.form.startsWith('go-v1') ? v1Signed(c.spec) : c.spec;
    const wrapper = c.base === '$.jobspec' && isObject(sub.value) ? sub.value : undefined;
    const override = wrapper ? unsignedOverride({ ...wrapper, jobspec: signedSpec }, signedSpec) : null;
    if (override) return override;
    if (signedSpec !== c.spec) readAs = wrapper ? { ...wrapper, jobspec: signedSpec } : signedSpec;
  }
  // Freshness is judged only once the timestamp is known to be the signer's.
  const skew = (at - now.getTime()) / 1000;
  if (skew > config.maxSkewSeconds) {
    return fail(
      'timestamp_skew',
      `${c.timestampPath} is ${Math.round(skew)} s in the future; at most ${config.maxSkewSeconds} s of clock skew is allowed`,
      c.timestampPath,
    );
  }
  if (-skew > config.maxAgeSeconds) {
    return fail(
      'timestamp_stale',
      `${c.timestampPath} is ${Math.round(-skew)} s old; signed specs must be submitted within ${config.maxAgeSeconds} s`,
      c.timestampPath,
    );
  }
  const keepUntil = Math.max(at, now.getTime()) + (config.maxAgeSeconds + config.maxSkewSeconds) * 1000;
  return {
    ok: true,
    signature: {
      keyId: c.key.id,
      form: matched.form,
      nonce: c.nonce,
      signedAt: new Date(at),
      nonceExpiresAt: new Date(keepUntil),
      ...(readAs ? { readAs } : {}),
    },
  };
}

/** Signs a body in Beacon's header form; returns the four headers to send. For clients and tests. */
export function signBeaconRequest(
  body: Uint8Array | string,
  opts: { keyId: string; privateKey: KeyObject | string; nonce: string; timestamp?: string },
): Record<string, string> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const timestamp = opts.timestamp ?? new Date().toISOString();
  const key = typeof opts.privateKey === 'string' ? createPrivateKey(opts.privateKey) : opts.privateKey;
  const text = beaconSigningString({ keyId: opts.keyId, timestamp, nonce: opts.nonce, body: bytes });
  return {
    [SIGNATURE_HEADERS.keyId]: opts.keyId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: opts.nonce,
    [SIGNATURE_HEADERS.signature]: edSign(null, Buffer.from(text, 'utf8'), key).toString('base64'),
  };
}
