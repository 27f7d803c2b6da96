import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  openNote,
  parseCheckpoint,
  issuesToProblems,
  jsonPathFormatter,
  parseStrictJson,
  problemMessages,
  parseVerifierKey,
  publicKeyOf,
  verifyBundle,
  verifyConsistency,
  type BundleVerification,
  type Checkpoint,
  type TrustedNoteKey,
} from '@beacon/domain';
import { ApiResponseError, type BeaconApiClient } from '@beacon/api-client';
import { z } from 'zod';
import { apiClient, checkApiUrl } from '../context.js';
import { dataDir } from '../database.js';
import { CliError, EXIT } from '../exit-codes.js';
import { clean, printJson } from '../output.js';

/**
 * Reads a public key given on the command line: a file or the text itself, as a signed-note verifier key
 * (`name+hash+base64`, which names the key), `ID=BASE64`, a PEM public key, or 32 bytes of base64 (the last two match
 * whatever key id signed).
 */
export function parseKeyArg(flag: string, raw: string): TrustedNoteKey {
  const text = existsSync(raw) ? readFileSync(raw, 'utf8').trim() : raw.trim();
  if (text.includes('PRIVATE KEY')) throw new CliError(`${flag}: give the public key, never the private one`, EXIT.usage);
  if (text.includes('BEGIN')) {
    try {
      const key = createPublicKey(text);
      if (key.asymmetricKeyType === 'ed25519') return { id: null, publicKey: key };
    } catch {
      /* reported below */
    }
  }
  const vkey = parseVerifierKey(text);
  if (vkey) return { id: vkey.name, publicKey: vkey.publicKey };
  const named = /^([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})=(.+)$/.exec(text);
  const key = publicKeyOf(named ? named[2]! : text);
  if (key) return { id: named ? named[1]! : null, publicKey: key };
  throw new CliError(
    `${flag}: not an Ed25519 public key (a PEM file, ID=BASE64, 32 bytes of base64, or a verifier key name+hash+base64)`,
    EXIT.usage,
  );
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `beacon export`, `beacon verify`, `beacon witness`: evidence bundles and the transparency log. */
export function registerEvidence(program: Command): void {
  program
    .command('export')
    .description("write a job's evidence bundle: spec, receipts, inclusion proofs, signed tree head, analysis summary (one JSON file)")
    .argument('<job>', 'job id')
    .requiredOption('--bundle <file>', 'the bundle file to write')
    .option('--json', 'print the outcome as JSON')
    .action(async (job: string, opts: { bundle: string; json?: boolean }) => {
      const bundle = await apiClient().getBundle(job);
      writeFileSync(opts.bundle, JSON.stringify(bundle, null, 1) + '\n');
      const head = parseCheckpoint(bundle.checkpoint.slice(0, bundle.checkpoint.lastIndexOf('\n\n') + 1));
      const out = { job, file: opts.bundle, receipts: bundle.receipts.length, treeSize: head?.size ?? null, keys: bundle.keys.log };
      if (opts.json) return printJson(out);
      process.stdout.write(
        `wrote ${opts.bundle}: job ${clean(job)}, ${out.receipts} receipts under the tree head of size ${out.treeSize}\n` +
          `verify it with: beacon verify ${opts.bundle} --key ${bundle.keys.log[0] ? `${bundle.keys.log[0].id}=${bundle.keys.log[0].public_key}` : 'PUB'}\n`,
      );
    });

  program
    .command('verify')
    .description('check an evidence bundle offline (no database, no daemon): hashes, Merkle proofs, tree-head and spec signatures')
    .argument('<file>', 'the bundle file')
    .option('--key <pub>', "the log's public key (repeat for rotated keys); without it the bundle's own key is used", collect, [])
    .option('--spec-key <pub>', "the spec signer's public key; without it the key the log vouches for in the bundle", collect, [])
    .option('--json', 'print every check as JSON')
    .action((file: string, opts: { key: string[]; specKey: string[]; json?: boolean }) => {
      const logKeys = opts.key.map((k) => parseKeyArg('--key', k));
      const specKeys = opts.specKey.map((k) => parseKeyArg('--spec-key', k));
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, EXIT.usage);
      }
      const parsed = parseStrictJson(text);
      const result: BundleVerification = parsed.ok
        ? verifyBundle(parsed.value, { ...(logKeys.length ? { logKeys } : {}), ...(specKeys.length ? { specKeys } : {}) })
        : {
            ok: false,
            logKeySource: logKeys.length ? 'pinned' : 'bundle',
            checks: [{ part: 'bundle', ok: false, detail: `not acceptable JSON: ${parsed.error.path}: ${parsed.error.message}` }],
            logKeyId: null,
            treeSize: null,
            receipts: 0,
          };
      const failed = result.checks.filter((c) => !c.ok);
      if (opts.json) printJson({ file, ...result, failed: failed.map((c) => c.part) });
      else {
        for (const c of result.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${clean(c.part)}: ${clean(c.detail)}\n`);
        if (result.ok) {
          process.stdout.write(
            `verified: ${result.receipts} receipts under the tree head of size ${result.treeSize}, signed by key ${result.logKeyId}` +
              (result.logKeySource === 'bundle' ? ' (the key the bundle carries: pass --key to pin the log key you trust)\n' : '\n'),
          );
        }
      }
      if (!result.ok) throw new CliError(`verification failed: ${failed.map((c) => clean(c.part)).join('; ')}`, EXIT.failure);
    });

  program
    .command('witness')
    .description('check that a Beacon log only grows: fetch its signed head and prove it consistent with the last one seen')
    .argument('<url>', "the daemon's API URL")
    .option('--key <pub>', "the log's public key (repeat for rotated keys); without it the keys first seen are kept", collect, [])
    .option('--state <file>', 'where the last verified head is kept (default: under BEACON_DATA_DIR/witness/)')
    .option('--json', 'print the outcome as JSON')
    .action(async (url: string, opts: { key: string[]; state?: string; json?: boolean }) => {
      const checked = checkApiUrl(url.trim(), '<url>');
      const stateFile = opts.state ?? path.join(dataDir(), 'witness', `${new URL(checked).host.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);
      const outcome = await witness(apiClient(checked), stateFile, opts.key);
      if (opts.json) printJson(outcome);
      else process.stdout.write(`${outcome.ok ? 'ok' : 'FAIL'}: ${clean(outcome.message)}\n`);
      if (!outcome.ok) throw new CliError(outcome.message, EXIT.failure);
    });
}

/** What a witness remembers between runs: the last head it verified and the keys it trusts. */
interface WitnessState {
  origin: string;
  size: number;
  root: string;
  checkpoint: string;
  keys: { id: string; public_key: string }[];
}

export interface WitnessOutcome {
  ok: boolean;
  message: string;
  previousSize: number | null;
  size: number | null;
  state: string;
}

/** The witness's state file: what `save` writes, checked on reading (it may be edited, or come from elsewhere). */
const WITNESS_STATE = z.object({
  origin: z.string(),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  root: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a SHA-256 hash in base64'),
  checkpoint: z.string(),
  keys: z.array(z.object({ id: z.string(), public_key: z.string().refine((k) => publicKeyOf(k) !== null, 'not an Ed25519 public key') })),
});

/** The state of an earlier run, or null on the first; a file that is not one is a usage error naming it and the field. */
function readWitnessState(file: string): WitnessState | null {
  if (!existsSync(file)) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--state ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, EXIT.usage);
  }
  const doc = parseStrictJson(text);
  if (!doc.ok) {
    throw new CliError(
      `--state ${file}: not a witness state (${doc.error.path}: ${doc.error.message}); move it away to start over`,
      EXIT.usage,
    );
  }
  const parsed = WITNESS_STATE.safeParse(doc.value, { error: problemMessages });
  if (parsed.success) return parsed.data;
  const [problem] = issuesToProblems(parsed.error.issues, jsonPathFormatter('$'));
  throw new CliError(`--state ${file}: not a witness state: ${problem!.path}: ${problem!.message}; move it away to start over`, EXIT.usage);
}

async function witness(client: BeaconApiClient, stateFile: string, keyArgs: string[]): Promise<WitnessOutcome> {
  const previous = readWitnessState(stateFile);
  const fail = (message: string): WitnessOutcome => ({
    ok: false,
    message,
    previousSize: previous?.size ?? null,
    size: null,
    state: stateFile,
  });
  try {
    return await witnessWith(client, stateFile, keyArgs, previous, fail);
  } catch (err) {
    // A log that hangs, floods or answers garbage fails the witness as a rewritten history does: with its reason.
    if (err instanceof ApiResponseError) return fail(err.message);
    throw err;
  }
}

async function witnessWith(
  client: BeaconApiClient,
  stateFile: string,
  keyArgs: string[],
  previous: WitnessState | null,
  fail: (message: string) => WitnessOutcome,
): Promise<WitnessOutcome> {
  const head = await client.getTransparencyHead();
  const stateKeys = previous?.keys ?? head.keys;
  const trusted: TrustedNoteKey[] = [];
  if (keyArgs.length) trusted.push(...keyArgs.map((k) => parseKeyArg('--key', k)));
  else
    for (const k of stateKeys) {
      const publicKey = publicKeyOf(k.public_key);
      if (!publicKey) return fail(`the log's key ${JSON.stringify(k.id.slice(0, 80))} is not an Ed25519 public key`);
      trusted.push({ id: k.id, publicKey });
    }
  const opened = openNote(head.checkpoint, trusted);
  if (!opened.ok) return fail(`the log's head does not verify: ${opened.reason}`);
  const cp = parseCheckpoint(opened.body);
  if (!cp) return fail('the log served a head that is not a checkpoint');
  if (previous) {
    if (cp.origin !== previous.origin) return fail(`the log's origin changed from ${previous.origin} to ${cp.origin}`);
    if (cp.size < previous.size) return fail(`the log shrank from ${previous.size} to ${cp.size} leaves: its history was rewritten`);
    const proof = cp.size === previous.size ? [] : (await client.getConsistencyProof(previous.size, cp.size)).proof;
    const ok = verifyConsistency(
      previous.size,
      cp.size,
      proof.map((p) => Buffer.from(p, 'base64')),
      Buffer.from(previous.root, 'base64'),
      cp.root,
    );
    if (!ok) {
      return fail(
        `the head of size ${cp.size} is not consistent with the head of size ${previous.size} seen before: the log's history was rewritten`,
      );
    }
  }
  save(stateFile, cp, head.checkpoint, keyArgs.length ? head.keys.filter((k) => trusted.some((t) => t.id === k.id)) : stateKeys);
  return {
    ok: true,
    message: previous
      ? `head of size ${cp.size} (key ${opened.keyId}) is consistent with the head of size ${previous.size} seen before`
      : `first head seen: size ${cp.size}, signed by key ${opened.keyId}; kept in ${stateFile}`,
    previousSize: previous?.size ?? null,
    size: cp.size,
    state: stateFile,
  };
}

/** Written next to the file and renamed over it: a witness killed mid-write leaves the old state or the new, never half. */
function save(file: string, cp: Checkpoint, checkpoint: string, keys: WitnessState['keys']): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const state: WitnessState = { origin: cp.origin, size: cp.size, root: cp.root.toString('base64'), checkpoint, keys };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
}
