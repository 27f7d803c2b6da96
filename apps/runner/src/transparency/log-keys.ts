import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  publicKeyOf,
  rawPublicKey,
  signNote,
  TRANSPARENCY_DEFAULTS,
  type BeaconConfig,
  type BundleKey,
  type TransparencyConfig,
} from '@beacon/domain';
import type { HeadSigner } from '@beacon/db';

/** The log's keys as this daemon holds them: the signing key (if any) and every public key heads may carry. */
export interface LogKeys {
  config: TransparencyConfig;
  /** Signs new heads and bundle statements; null when no key is configured or it could not be read. */
  signer: (HeadSigner & { privateKey: KeyObject }) | null;
  /** Public halves of the signing key and of `transparency.keys`, by id. */
  publicKeys: BundleKey[];
  /** Why there is no signer although one is configured (never the key's content). */
  problem: string | null;
}

/**
 * Reads the signing key named by `transparency.signingKey` from its PEM file or environment variable. The key never
 * leaves this object: heads and statements carry signatures and the public half only.
 */
export function loadLogKeys(config: BeaconConfig, env: NodeJS.ProcessEnv = process.env): LogKeys {
  const t = config.transparency ?? TRANSPARENCY_DEFAULTS;
  const publicKeys: BundleKey[] = [];
  for (const k of t.keys) {
    const key = publicKeyOf(k.publicKey);
    if (key) publicKeys.push({ id: k.id, public_key: rawPublicKey(key).toString('base64') });
  }
  if (!t.signingKey) return { config: t, signer: null, publicKeys, problem: null };
  const { id, privateKeyFile, privateKeyEnv } = t.signingKey;
  let privateKey: KeyObject;
  try {
    const pem = privateKeyFile ? readFileSync(privateKeyFile, 'utf8') : (env[privateKeyEnv!] ?? '');
    if (pem === '') throw new Error(`${privateKeyEnv} is not set`);
    privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  } catch (err) {
    // The error of a failed parse names no key material; the file name or variable is what the operator needs.
    const where = privateKeyFile ? `file ${privateKeyFile}` : `variable ${privateKeyEnv}`;
    const why = err instanceof Error && /ENOENT|not set|not an Ed25519/.test(err.message) ? err.message.split(',')[0] : 'unreadable PEM';
    return { config: t, signer: null, publicKeys, problem: `transparency.signingKey ${id}: ${where}: ${why}` };
  }
  const publicKey = createPublicKey(privateKey);
  publicKeys.unshift({ id, public_key: rawPublicKey(publicKey).toString('base64') });
  return {
    config: t,
    signer: { keyId: id, origin: t.origin, privateKey, sign: (body) => signNote(body, id, privateKey) },
    publicKeys,
    problem: null,
  };
}
