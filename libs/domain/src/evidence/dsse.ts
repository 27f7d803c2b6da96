import { sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';

/**
 * A DSSE envelope (secure-systems-lab/dsse): a payload, its type, and signatures over the pre-authentication
 * encoding PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body, so the signed bytes are exact and a payload can
 * never be read as another type. `keyid` is a hint: verification tries the trusted key of that id.
 */
export interface DsseEnvelope {
  payloadType: string;
  /** base64 */
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

export function signEnvelope(payloadType: string, body: Uint8Array, keyId: string, privateKey: KeyObject): DsseEnvelope {
  const sig = edSign(null, pae(payloadType, body), privateKey);
  return { payloadType, payload: Buffer.from(body).toString('base64'), signatures: [{ keyid: keyId, sig: sig.toString('base64') }] };
}

/** The id of the trusted key whose signature verifies, or null. */
export function verifyEnvelope(env: DsseEnvelope, trusted: readonly { id: string | null; publicKey: KeyObject }[]): string | null {
  const body = Buffer.from(env.payload, 'base64');
  for (const s of env.signatures) {
    for (const key of trusted.filter((k) => k.id === null || k.id === s.keyid)) {
      if (edVerify(null, pae(env.payloadType, body), key.publicKey, Buffer.from(s.sig, 'base64'))) return s.keyid;
    }
  }
  return null;
}
