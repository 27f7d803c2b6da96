import { describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signBeaconRequest } from '../auth/spec-signature.js';
import { assembleBundle, summariseReceipts, verifyBundle, type EvidenceBundle } from './bundle.js';
import { inclusionProof, leafHash, memorySubtrees, rootOf } from './merkle.js';
import { buildReceipt, receiptBytes, receiptMismatches, type Receipt } from './receipt.js';
import { checkpointBody, parseVerifierKey, rawPublicKey, signNote, verifierKey } from './signed-note.js';

function keyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

function receipt(i: number): Receipt {
  return buildReceipt({
    execution_id: String(100 + i),
    cell: { job_id: 'job-1', question_id: `q${i}`, model_id: 'm', region: 'eu-west', variant: '', replicate: 0 },
    state: 'succeeded',
    prompt: { system: 'You are based in Europe.', user: `Question ${i}?` },
    parameters: { model: 'm-name', temperature: 0.1, max_tokens: 500 },
    provider: { kind: 'openai', request_id: `req-${i}` },
    region: { requested: 'eu-west', served: 'eu-west', observed: null },
    model: { requested: 'm', reported: 'm-name-2025' },
    response: `Answer ${i}.`,
    finish_reason: 'stop',
    label: { label: 'complied', rule: 'none', classifier_version: 'rules-v3' },
    timestamps: { created_at: '2026-01-01T00:00:00.000Z', started_at: '2026-01-01T00:00:01.000Z', finished_at: '2026-01-01T00:00:02.000Z' },
    attempts: [
      { attempt: 1, outcome: 'succeeded', http_status: 200, started_at: '2026-01-01T00:00:01.000Z', ended_at: '2026-01-01T00:00:02.000Z' },
    ],
  });
}

const log = keyPair();
const specSigner = keyPair();
const raw = (k: KeyObject) => rawPublicKey(k).toString('base64');

/** A log of 11 leaves, receipts of job-1 at 2, 5, 6 and 9, a signed head, a signed spec, and its bundle. */
function makeBundle(): EvidenceBundle {
  const receipts = [2, 5, 6, 9].map((at, i) => ({ at, r: receipt(i) }));
  const leaves = Array.from({ length: 11 }, (_, i) => leafHash(Buffer.from(`other ${i}`)));
  for (const { at, r } of receipts) leaves[at] = leafHash(receiptBytes(r));
  const checkpoint = signNote(checkpointBody({ origin: 'beacon.test/log', size: 11, root: rootOf(leaves) }), 'log-1', log.privateKey);
  const spec = JSON.stringify({ id: 'job-1', questions: ['q0'] });
  const headers = signBeaconRequest(spec, { keyId: 'ci', privateKey: specSigner.privateKey, nonce: 'nonce-123456' });
  return assembleBundle({
    job: {
      id: 'job-1',
      spec_received: spec,
      spec_signature: {
        form: 'beacon',
        key_id: 'ci',
        timestamp: headers['beacon-timestamp']!,
        nonce: 'nonce-123456',
        signature: headers['beacon-signature']!,
      },
    },
    analysis: { summary: summariseReceipts(receipts.map(({ r }) => r)) },
    receipts: receipts.map(({ at, r }) => ({
      leaf_index: at,
      receipt: r,
      proof: inclusionProof(at, 11, memorySubtrees(leaves)).map((h) => h.toString('base64')),
    })),
    checkpoint,
    logKey: { id: 'log-1', privateKey: log.privateKey },
    logKeys: [{ id: 'log-1', public_key: raw(log.publicKey) }],
    specKey: { id: 'ci', public_key: raw(specSigner.publicKey) },
  });
}

const failed = (b: unknown, opts = {}) =>
  verifyBundle(JSON.parse(JSON.stringify(b)), opts)
    .checks.filter((c) => !c.ok)
    .map((c) => c.part);

describe('receipts', () => {
  it('name the part whose content no longer matches its hash', () => {
    const r = receipt(1);
    expect(receiptMismatches(r)).toEqual([]);
    expect(receiptMismatches({ ...r, response: 'Changed.' })).toEqual(['response']);
    expect(receiptMismatches({ ...r, prompt: { ...r.prompt, user: 'x' } })).toEqual(['prompt']);
  });
});

describe('signed notes', () => {
  it('round-trips a verifier key', () => {
    const vkey = verifierKey('log-1', log.publicKey);
    const parsed = parseVerifierKey(vkey)!;
    expect(parsed.name).toBe('log-1');
    expect(raw(parsed.publicKey)).toBe(raw(createPublicKey(log.privateKey)));
    expect(parseVerifierKey(vkey.replace('log-1', 'log-2'))).toBeNull();
  });
});

describe(verifyBundle.name, () => {
  it('accepts an untouched bundle, with the bundle key or a pinned one', () => {
    const b = makeBundle();
    expect(failed(b)).toEqual([]);
    const pinned = verifyBundle(b, { logKeys: [{ id: null, publicKey: log.publicKey }] });
    expect(pinned).toMatchObject({ ok: true, logKeySource: 'pinned', logKeyId: 'log-1', treeSize: 11, receipts: 4 });
  });

  it('refuses a bundle signed by a key other than the pinned one', () => {
    expect(failed(makeBundle(), { logKeys: [{ id: null, publicKey: keyPair().publicKey }] })).toEqual([
      'tree head',
      'statement',
      'spec signature',
    ]);
  });

  it('names the part that was changed', () => {
    const tamper = (f: (b: EvidenceBundle) => void) => {
      const b = JSON.parse(JSON.stringify(makeBundle())) as EvidenceBundle;
      f(b);
      return failed(b);
    };
    expect(tamper((b) => (b.receipts[1]!.receipt.response = 'Answer 9.'))).toEqual([
      'receipt 1 (execution 101) response',
      'receipt 1 (execution 101) statement',
      'proof of receipt 1 (execution 101)',
    ]);
    expect(tamper((b) => (b.receipts[0]!.receipt.label!.label = 'refused'))).toContain('receipt 0 (execution 100) label');
    expect(tamper((b) => b.receipts.reverse())).toContain('receipts order');
    expect(tamper((b) => (b.receipts[2]!.proof[0] = Buffer.alloc(32).toString('base64')))).toEqual(['proof of receipt 2 (execution 102)']);
    expect(tamper((b) => (b.checkpoint = b.checkpoint.replace('\n11\n', '\n12\n')))).toContain('tree head');
    expect(tamper((b) => (b.job.spec_received = b.job.spec_received.replace('q0', 'q1')))).toEqual(['spec', 'spec signature']);
    expect(tamper((b) => (b.analysis = { summary: { receipts: 4, labels: {} } }))).toEqual(['analysis', 'analysis summary']);
    expect(tamper((b) => b.receipts.pop())).toEqual(['analysis summary', 'receipts']);
    expect(tamper((b) => (b.format = 'x' as never))).toEqual(['bundle']);
  });
});
