import { createHash, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';

/**
 * Signed notes (c2sp.org/signed-note) and log checkpoints (c2sp.org/tlog-checkpoint), the formats transparency logs
 * and their witnesses speak: a text body ending in a newline, a blank line, then one line per signature,
 * `— <key name> base64(key hash[4] ‖ Ed25519 signature)`. The key name is Beacon's key id (the same ids as
 * `signing.keys`); the key hash is SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4], so a verifier finds the signature its
 * key made even when the note carries several (old and new keys during a rotation).
 */

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIG_PREFIX = '\u2014 ';
const ALG_ED25519 = 0x01;

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
}

export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The 4-byte hash that names a key in a signature line. */
export function noteKeyHash(name: string, publicKey: KeyObject): Buffer {
  return createHash('sha256')
    .update(`${name}\n`, 'utf8')
    .update(Buffer.from([ALG_ED25519]))
    .update(rawPublicKey(publicKey))
    .digest()
    .subarray(0, 4);
}

/** A verifier key in the signed-note text form, `name+hex(key hash)+base64(0x01 ‖ public key)`. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  const hash = noteKeyHash(name, publicKey).toString('hex');
  return `${name}+${hash}+${Buffer.concat([Buffer.from([ALG_ED25519]), rawPublicKey(publicKey)]).toString('base64')}`;
}

/** Reads a verifier key (`name+hash+base64`), or null when the text is not one (or its hash does not match). */
export function parseVerifierKey(text: string): { name: string; publicKey: KeyObject } | null {
  // base64 itself may hold '+': the name and the hash end at the first two.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!m) return null;
  const parts = [m[1]!, m[2]!, m[3]!];
  const bytes = Buffer.from(parts[2]!, 'base64');
  if (bytes.length !== 33 || bytes[0] !== ALG_ED25519) return null;
  try {
    const publicKey = ed25519PublicKey(bytes.subarray(1));
    return noteKeyHash(parts[0]!, publicKey).toString('hex') === parts[1] ? { name: parts[0]!, publicKey } : null;
  } catch {
    return null;
  }
}

/** Signs `body` (which must end in a newline) as a note with one signature by key `name`. */
export function signNote(body: string, name: string, privateKey: KeyObject): string {
  if (!body.endsWith('\n')) throw new Error('a note body ends with a newline');
  const publicKey = createPublicKey(privateKey);
  const sig = edSign(null, Buffer.from(body, 'utf8'), privateKey);
  return `${body}\n${SIG_PREFIX}${name} ${Buffer.concat([noteKeyHash(name, publicKey), sig]).toString('base64')}\n`;
}

/**
 * A key a verifier trusts: its id (the note's key name) and public key. A key given without its id (a bare PEM file)
 * matches any signature line whose key hash it produces under that line's name.
 */
export interface TrustedNoteKey {
  id: string | null;
  publicKey: KeyObject;
}

export type OpenedNote = { ok: true; body: string; keyId: string } | { ok: false; reason: string };

/**
 * Opens a signed note: the body and the id of the trusted key whose signature verifies. Signatures by keys the
 * verifier does not know are ignored; a note no trusted key verifies is refused, naming why.
 */
export function openNote(note: string, trusted: readonly TrustedNoteKey[]): OpenedNote {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { ok: false, reason: 'not a signed note (no blank line before the signatures)' };
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let known = 0;
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) return { ok: false, reason: `malformed signature line ${JSON.stringify(line.slice(0, 80))}` };
    const [name, b64] = line.slice(SIG_PREFIX.length).split(' ');
    const bytes = Buffer.from(b64 ?? '', 'base64');
    if (!name || bytes.length !== 68) return { ok: false, reason: `malformed signature line ${JSON.stringify(line.slice(0, 80))}` };
    for (const key of trusted) {
      if ((key.id !== null && key.id !== name) || !noteKeyHash(name, key.publicKey).equals(bytes.subarray(0, 4))) continue;
      known += 1;
      if (edVerify(null, Buffer.from(body, 'utf8'), key.publicKey, bytes.subarray(4))) return { ok: true, body, keyId: name };
    }
  }
  const names = lines.map((l) => l.slice(SIG_PREFIX.length).split(' ')[0]).join(', ');
  return {
    ok: false,
    reason:
      known > 0 ? `the signature of key ${names} does not verify (the signed text was changed)` : `signed by ${names}, no key trusted here`,
  };
}

/** A log checkpoint: origin, tree size and root hash (c2sp.org/tlog-checkpoint). */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`;
}

/** Reads a checkpoint body, or null naming nothing when it is not one. */
export function parseCheckpoint(body: string): Checkpoint | null {
  const lines = body.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') return null;
  const [origin, sizeText, rootText] = lines;
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText ?? '')) return null;
  const root = Buffer.from(rootText ?? '', 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText) return null;
  const size = Number(sizeText);
  return Number.isSafeInteger(size) ? { origin, size, root } : null;
}
