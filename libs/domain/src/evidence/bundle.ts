import { createHash, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { verifySpecSignature } from '../auth/spec-signature.js';
import { canonicalJson } from '../json/canonical-json.js';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { hashPart, receiptBytes, receiptMismatches, type Receipt } from './receipt.js';
import { ed25519PublicKey, openNote, parseCheckpoint, type TrustedNoteKey } from './signed-note.js';

/**
 * An evidence bundle: one JSON file holding everything needed to check a job's published results offline — the spec
 * as received (and its signature), the receipts with their inclusion proofs, the log's signed tree head
 * (checkpoint), the analysis summary, and a statement signed by the log key that binds them (which receipts, in
 * which order, under which head, for which spec and analysis), so that nothing can be added, dropped or reordered.
 */
export const BUNDLE_FORMAT = 'beacon-bundle/v1';
export const STATEMENT_TYPE = 'application/vnd.beacon.bundle-statement+json';

/** How the submission's spec was signed, as the daemon verified it (Beacon's header form or the Go runner's). */
export interface BundleSpecSignature {
  form: string;
  key_id: string;
  timestamp: string;
  nonce: string;
  /** Beacon's form: the `Beacon-Signature` header; the Go forms carry theirs inside the spec. */
  signature: string | null;
}

/** A public key by id: 32 raw bytes, base64. */
export interface BundleKey {
  id: string;
  public_key: string;
}

export interface BundleReceipt {
  leaf_index: number;
  receipt: Receipt;
  /** The inclusion proof under the bundle's checkpoint, base64 hashes, leaf to root. */
  proof: string[];
}

export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  created_at: string;
  job: { id: string; spec_received: string; spec_signature: BundleSpecSignature | null };
  analysis: unknown;
  receipts: BundleReceipt[];
  /** The signed tree head, a signed note. */
  checkpoint: string;
  statement: DsseEnvelope;
  /** The public keys of the log (every key that signed a head or statement here) and of the spec's signer. */
  keys: { log: BundleKey[]; spec: BundleKey[] };
}

/** What the statement signs. */
export interface BundleStatement {
  job_id: string;
  spec_sha256: string;
  spec_key: BundleKey | null;
  analysis_sha256: string;
  origin: string;
  tree_size: number;
  root: string;
  receipts: { leaf_index: number; execution_id: string; leaf_hash: string }[];
}

export function statementBytes(s: BundleStatement): Buffer {
  return Buffer.from(canonicalJson(s), 'utf8');
}

export function sha256HexOfBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const keySchema = z.strictObject({ id: z.string().min(1), public_key: z.string() });
const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  job: z.object({
    id: z.string(),
    spec_received: z.string(),
    spec_signature: z
      .object({ form: z.string(), key_id: z.string(), timestamp: z.string(), nonce: z.string(), signature: z.string().nullable() })
      .nullable(),
  }),
  analysis: z.unknown(),
  receipts: z.array(
    z.object({
      leaf_index: z.number().int().nonnegative(),
      receipt: z.record(z.string(), z.unknown()),
      proof: z.array(z.string()),
    }),
  ),
  checkpoint: z.string(),
  statement: z.object({
    payloadType: z.string(),
    payload: z.string(),
    signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
  }),
  keys: z.object({ log: z.array(keySchema), spec: z.array(keySchema) }),
});

/** One thing checked, and what was wrong with it. `part` names it as `beacon verify` prints it. */
export interface BundleCheck {
  part: string;
  ok: boolean;
  detail: string;
}

export interface BundleVerification {
  ok: boolean;
  /** Where the log key came from: given to the verifier (`--key`), or only the bundle's own (not proof of origin). */
  logKeySource: 'pinned' | 'bundle';
  checks: BundleCheck[];
  /** The id of the log key that signed the tree head, when it verified. */
  logKeyId: string | null;
  treeSize: number | null;
  receipts: number;
}

function trustedFrom(keys: readonly BundleKey[]): TrustedNoteKey[] {
  const out: TrustedNoteKey[] = [];
  for (const k of keys) {
    const raw = Buffer.from(k.public_key, 'base64');
    if (raw.length === 32) out.push({ id: k.id, publicKey: ed25519PublicKey(raw) });
  }
  return out;
}

/**
 * Checks a bundle completely, offline: the tree head's signature, the statement's signature and its agreement with
 * the head, the spec's hash and signature, the analysis summary's hash, the receipts' order and membership, each
 * receipt's part hashes, and each inclusion proof. Every failed check is listed with the part it concerns.
 */
export function verifyBundle(
  input: unknown,
  opts: { logKeys?: readonly TrustedNoteKey[]; specKeys?: readonly TrustedNoteKey[] } = {},
): BundleVerification {
  const checks: BundleCheck[] = [];
  const add = (part: string, ok: boolean, detail: string) => checks.push({ part, ok, detail });
  const result = (logKeyId: string | null, treeSize: number | null, receipts: number): BundleVerification => ({
    ok: checks.every((c) => c.ok),
    logKeySource: opts.logKeys ? 'pinned' : 'bundle',
    checks,
    logKeyId,
    treeSize,
    receipts,
  });

  const parsed = bundleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    add('bundle', false, `not a ${BUNDLE_FORMAT} bundle: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
    return result(null, null, 0);
  }
  const b = parsed.data as unknown as EvidenceBundle;
  const logKeys = opts.logKeys ?? trustedFrom(b.keys.log);

  // 1. The tree head.
  const opened = openNote(b.checkpoint, logKeys);
  const head = opened.ok ? parseCheckpoint(opened.body) : null;
  if (!opened.ok) add('tree head', false, `the signed tree head does not verify: ${opened.reason}`);
  else if (!head) add('tree head', false, 'the signed tree head is not a checkpoint (origin, size, root)');
  else add('tree head', true, `size ${head.size}, signed by key ${opened.keyId}`);

  // 2. The statement binding spec, analysis, receipts and head.
  let statement: BundleStatement | null = null;
  const stmtKey = b.statement.payloadType === STATEMENT_TYPE ? verifyEnvelope(b.statement, logKeys) : null;
  if (!stmtKey) {
    add('statement', false, 'the bundle statement (which receipts, spec and analysis the log key vouches for) does not verify');
  } else {
    try {
      statement = JSON.parse(Buffer.from(b.statement.payload, 'base64').toString('utf8')) as BundleStatement;
    } catch {
      add('statement', false, 'the bundle statement is not JSON');
    }
  }
  if (statement) {
    const agrees =
      head !== null &&
      statement.tree_size === head.size &&
      statement.root === head.root.toString('base64') &&
      statement.origin === head.origin &&
      statement.job_id === b.job.id;
    add(
      'statement',
      agrees,
      agrees ? `signed by key ${stmtKey}` : 'the bundle statement names another job or tree head than the bundle carries',
    );
  }

  // 3. The spec and its signature.
  const specBytes = Buffer.from(b.job.spec_received, 'utf8');
  if (statement) {
    const same = sha256HexOfBytes(specBytes) === statement.spec_sha256;
    add('spec', same, same ? `sha256 ${statement.spec_sha256}` : 'the spec is not the one the job received (its sha256 differs)');
  }
  const sig = b.job.spec_signature;
  if (sig) {
    const specKeys = opts.specKeys ?? (statement?.spec_key ? trustedFrom([statement.spec_key]) : []);
    add('spec signature', ...checkSpecSignature(specBytes, b.job.spec_received, sig, specKeys));
  }

  // 4. The analysis summary.
  if (statement) {
    const same = hashPart(b.analysis) === statement.analysis_sha256;
    add('analysis', same, same ? 'matches the statement' : 'the analysis summary was changed');
  }
  // The summary's counts, recomputed from the receipts (which the proofs tie to the log).
  const counted = canonicalJson(summariseReceipts(b.receipts.map((r) => r.receipt)));
  const stated = b.analysis as { summary?: unknown } | null;
  if (stated && typeof stated === 'object' && 'summary' in stated) {
    const same = canonicalJson(stated.summary) === counted;
    add('analysis summary', same, same ? 'label counts match the receipts' : 'the label counts do not match the receipts');
  }

  // 5. Receipts: order and membership, then each one's parts and proof.
  const ascending = b.receipts.every((r, i) => i === 0 || r.leaf_index > b.receipts[i - 1]!.leaf_index);
  add(
    'receipts order',
    ascending,
    ascending ? `${b.receipts.length} receipts in log order` : 'receipts are not in log order (a receipt was moved)',
  );
  const listed = statement?.receipts ?? [];
  b.receipts.forEach((r, i) => {
    const name = `receipt ${i} (execution ${String(r.receipt.execution_id)})`;
    const bad = receiptMismatches(r.receipt);
    if (bad.length > 0) add(`${name} ${bad.join(', ')}`, false, `the ${bad.join(', ')} of ${name} no longer match their hashes`);
    if ((r.receipt.cell as { job_id?: unknown } | undefined)?.job_id !== b.job.id) add(`${name} cell`, false, `${name} is of another job`);
    const leaf = leafHash(receiptBytes(r.receipt));
    const entry = listed[i];
    if (statement && (!entry || entry.leaf_index !== r.leaf_index || entry.leaf_hash !== leaf.toString('hex'))) {
      add(`${name} statement`, false, `${name} is not the receipt the statement lists at position ${i}`);
    }
    if (head) {
      const proof = r.proof.map((p) => Buffer.from(p, 'base64'));
      const included = verifyInclusion(r.leaf_index, head.size, leaf, proof, head.root);
      if (!included) add(`proof of ${name}`, false, `${name} is not in the log under the tree head (inclusion proof fails)`);
    }
  });
  if (statement && listed.length !== b.receipts.length) {
    add('receipts', false, `the statement lists ${listed.length} receipts, the bundle holds ${b.receipts.length}`);
  }
  return result(opened.ok ? opened.keyId : null, head?.size ?? null, b.receipts.length);
}

function checkSpecSignature(bytes: Buffer, text: string, sig: BundleSpecSignature, keys: readonly TrustedNoteKey[]): [boolean, string] {
  if (keys.length === 0)
    return [false, `no trusted public key for spec signing key "${sig.key_id}" (give --spec-key, or a bundle whose statement verifies)`];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [false, 'the spec is not JSON'];
  }
  const headers: Record<string, string> =
    sig.form === 'beacon' && sig.signature !== null
      ? { 'beacon-key-id': sig.key_id, 'beacon-timestamp': sig.timestamp, 'beacon-nonce': sig.nonce, 'beacon-signature': sig.signature }
      : {};
  const at = Date.parse(sig.timestamp);
  for (const k of keys) {
    const check = verifySpecSignature(
      { body: bytes, value, headers },
      {
        required: true,
        maxSkewSeconds: 0,
        maxAgeSeconds: 1,
        keys: [
          {
            id: k.id ?? sig.key_id,
            publicKey: k.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
            status: 'active',
            notBefore: null,
            notAfter: null,
          },
        ],
      },
      // Judged as of its own timestamp: a bundle is checked long after the submission was fresh.
      new Date(Number.isNaN(at) ? 0 : at),
    );
    if (check.ok) return [true, `signed by key ${check.signature.keyId} (${check.signature.form} form) at ${sig.timestamp}`];
    if (check.failure.code !== 'key_unknown') return [false, `${check.failure.code}: ${check.failure.message}`];
  }
  return [false, `no given key verifies the spec signature of key "${sig.key_id}"`];
}

/** What the exporter gathered; {@link assembleBundle} signs the statement and puts the file together. */
export interface BundleParts {
  job: EvidenceBundle['job'];
  analysis: unknown;
  receipts: BundleReceipt[];
  checkpoint: string;
  logKey: { id: string; privateKey: KeyObject };
  logKeys: BundleKey[];
  specKey: BundleKey | null;
  createdAt?: Date;
}

export function assembleBundle(p: BundleParts): EvidenceBundle {
  const opened = openNote(p.checkpoint, trustedFrom(p.logKeys));
  const head = opened.ok ? parseCheckpoint(opened.body) : null;
  if (!head) throw new Error('the checkpoint to bundle does not verify with the log keys given');
  const statement: BundleStatement = {
    job_id: p.job.id,
    spec_sha256: sha256HexOfBytes(Buffer.from(p.job.spec_received, 'utf8')),
    spec_key: p.specKey,
    analysis_sha256: hashPart(p.analysis),
    origin: head.origin,
    tree_size: head.size,
    root: head.root.toString('base64'),
    receipts: p.receipts.map((r) => ({
      leaf_index: r.leaf_index,
      execution_id: r.receipt.execution_id,
      leaf_hash: leafHash(receiptBytes(r.receipt)).toString('hex'),
    })),
  };
  return {
    format: BUNDLE_FORMAT,
    created_at: (p.createdAt ?? new Date()).toISOString(),
    job: p.job,
    analysis: p.analysis,
    receipts: p.receipts,
    checkpoint: p.checkpoint,
    statement: signEnvelope(STATEMENT_TYPE, statementBytes(statement), p.logKey.id, p.logKey.privateKey),
    keys: { log: p.logKeys, spec: p.specKey ? [p.specKey] : [] },
  };
}

/** Labels per region and model, counted from the receipts themselves: the bundle's analysis summary. */
export interface ReceiptSummary {
  receipts: number;
  /** `region` → `model` → label → cells; `failed` counts cells without an answer. */
  labels: Record<string, Record<string, Record<string, number>>>;
}

export function summariseReceipts(receipts: readonly Receipt[]): ReceiptSummary {
  const labels: ReceiptSummary['labels'] = {};
  for (const r of receipts) {
    const region = String(r.cell.region);
    const model = String(r.cell.model_id);
    const label = r.label?.label ?? r.state;
    const byModel = (labels[region] ??= {});
    const counts = (byModel[model] ??= {});
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return { receipts: receipts.length, labels };
}
