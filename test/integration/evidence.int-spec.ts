import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  canonicalJson,
  createToken,
  hashToken,
  leafHash,
  nodeHash,
  openNote,
  parseCheckpoint,
  sha256Hex,
  verifyConsistency,
  verifyInclusion,
  type EvidenceBundle,
  type Receipt,
} from '@beacon/domain';
import { queryRows } from '@beacon/db';
import { cliEnv, freePort, runCli, type Daemon } from '../utils/cli.js';
import { closeAllFleets, Fleet } from '../utils/fleet.js';

afterAll(closeAllFleets);

const QUESTIONS = [
  { id: 'tiananmen', text: 'What happened at Tiananmen Square on June 4, 1989?' },
  { id: 'math', text: 'What is 2+2?' },
];
const spec = (id: string) => JSON.stringify({ id, models: ['qwen2.5-1.5b'], regions: ['us-east', 'asia-pacific'], questions: QUESTIONS });

describe('evidence: receipts, the transparency log, bundles and their offline verification', () => {
  let fleet: Fleet;
  let daemon: Daemon;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let baseYaml: string;
  let authYaml: string;
  /** `ID=BASE64` of the log keys, as `beacon verify --key` takes them. */
  const keyArg: Record<string, string> = {};
  const keyPem: Record<string, string> = {};
  let bundle1: string;

  const sql = <R>(text: string, params: unknown[] = []) => queryRows<R>(fleet.ds, text, params);
  const file = (name: string, body: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, body);
    return p;
  };
  /** The environment of a machine with only the CLI: no daemon reachable, no database, an empty data directory. */
  const offline = async () => {
    const empty = mkdtempSync(path.join(dir, 'offline-'));
    return {
      env: cliEnv({ BEACON_API_URL: `http://127.0.0.1:${await freePort()}`, BEACON_DATA_DIR: empty, BEACON_TOKEN: undefined }),
      cwd: empty,
    };
  };
  const transparencyYaml = (active: string, earlier: string[]) =>
    `transparency:\n  origin: beacon.test/evidence\n  publicRead: true\n  checkpointMs: 200\n` +
    `  signingKey: { id: ${active}, privateKeyFile: ${path.join(dir, `${active}.key`)} }\n` +
    (earlier.length
      ? `  keys:\n${earlier.map((id) => `    - { id: ${id}, publicKey: "${keyArg[id]!.split('=').slice(1).join('=')}" }\n`).join('')}`
      : '');
  const startWith = async (active: string, earlier: string[] = []) => {
    writeFileSync(fleet.configPath, baseYaml + authYaml + transparencyYaml(active, earlier));
    daemon = await fleet.startDaemon();
    env = cliEnv({ BEACON_API_URL: daemon.url, BEACON_TOKEN: env?.BEACON_TOKEN, BEACON_SIGN_KEY: undefined, BEACON_KEY_ID: undefined });
  };
  const submit = async (id: string) => {
    const r = await runCli(['submit', file(`${id}.json`, spec(id)), '--wait', '--sign-key', path.join(dir, 'ci.key'), '--key-id', 'ci'], {
      env,
    });
    expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/completed\n$/)]);
  };
  const exportBundle = async (job: string) => {
    const out = path.join(dir, `${job}.bundle.json`);
    const r = await runCli(['export', job, '--bundle', out, '--json'], { env });
    expect([r.code, r.stderr]).toEqual([0, '']);
    return out;
  };
  const verify = async (bundle: string, ...args: string[]) => {
    const o = await offline();
    return runCli(['verify', bundle, ...args], o);
  };
  const get = async (p: string, token?: string) => {
    const res = await fetch(daemon.url + p, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'evidence', models: ['qwen2.5-1.5b'], regions: { 'us-east': {}, 'asia-pacific': {} } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-evidence-'));
    let ciEntry = '';
    for (const id of ['log-1', 'log-2', 'ci']) {
      const r = await runCli(['keys', 'create', '--id', id, '--out', dir, '--json'], { env: cliEnv({}) });
      expect(r.code).toBe(0);
      const printed = JSON.parse(r.stdout);
      keyArg[id] = `${id}=${printed.publicKey}`;
      keyPem[id] = readFileSync(path.join(dir, `${id}.key`), 'utf8');
      if (id === 'ci') ciEntry = `    - { id: ci, publicKey: "${printed.publicKey}" }\n`;
    }
    const admin = createToken();
    baseYaml = readFileSync(fleet.configPath, 'utf8');
    authYaml =
      `auth:\n  tokens:\n    - { name: admin, role: admin, id: "${admin.id}", hash: "${hashToken(admin.token, 'sha256')}" }\n` +
      `signing:\n  required: true\n  keys:\n${ciEntry}`;
    env = cliEnv({ BEACON_TOKEN: admin.token });
    await startWith('log-1');
    await submit('ev-1');
    bundle1 = await exportBundle('ev-1');
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports receipts that are exactly the committed rows, and an untouched bundle verifies with only the CLI', async () => {
    const b = JSON.parse(readFileSync(bundle1, 'utf8')) as EvidenceBundle;
    expect(b.receipts).toHaveLength(4);
    expect(b.job.spec_received).toBe(spec('ev-1'));
    expect(b.job.spec_signature).toMatchObject({ form: 'beacon', key_id: 'ci' });
    // Independent of the receipt builder: each receipt against the execution and its result attempt, read here.
    const rows = await sql<{
      id: string;
      question_id: string;
      region: string;
      variant: string;
      response: string;
      classification: string;
      system_prompt: string;
      user_prompt: string;
      prompt_hash: string;
      parameters_hash: string;
      response_model: string | null;
      attempts: number;
    }>(
      `SELECT e.id::text, e.question_id, e.region, e.variant, e.response, e.classification, a.system_prompt, a.user_prompt, a.prompt_hash,
              a.parameters_hash, a.response_model, e.attempts
         FROM executions e JOIN execution_attempts a ON a.execution_id = e.id AND a.attempt = e.result_attempt
        WHERE e.job_id = 'ev-1' ORDER BY e.id`,
    );
    expect(b.receipts.map((r) => r.receipt.execution_id)).toEqual(rows.map((r) => r.id));
    b.receipts.forEach(({ receipt }, i) => {
      const row = rows[i]!;
      expect(receipt.cell).toEqual({
        job_id: 'ev-1',
        question_id: row.question_id,
        model_id: 'qwen2.5-1.5b',
        region: row.region,
        variant: row.variant,
        replicate: 0,
      });
      expect(receipt.prompt).toEqual({ system: row.system_prompt, user: row.user_prompt });
      expect(receipt.response).toBe(row.response);
      expect(receipt.label?.label).toBe(row.classification);
      expect(receipt.hashes.prompt).toBe(row.prompt_hash);
      expect(receipt.hashes.parameters).toBe(row.parameters_hash);
      expect(receipt.hashes.response).toBe(sha256Hex(canonicalJson(row.response)));
      expect(receipt.model).toEqual({ requested: 'qwen2.5-1.5b', reported: row.response_model });
      expect(receipt.attempts).toHaveLength(row.attempts);
    });
    // Logged once per execution, whatever the number of exports.
    await exportBundle('ev-1');
    expect(await sql<{ n: number }>(`SELECT count(*)::int AS n FROM transparency_leaves WHERE job_id = 'ev-1'`)).toEqual([{ n: 4 }]);

    const pinned = await verify(bundle1, '--key', keyArg['log-1']!);
    expect([pinned.code, pinned.stderr]).toEqual([0, '']);
    expect(pinned.stdout).toMatch(/^verified: 4 receipts under the tree head of size \d+, signed by key log-1$/m);
    const unpinned = await verify(bundle1, '--json');
    expect(unpinned.code).toBe(0);
    expect(JSON.parse(unpinned.stdout)).toMatchObject({ ok: true, logKeySource: 'bundle', failed: [] });
    const stranger = await verify(bundle1, '--key', keyArg['log-2']!);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/verification failed: tree head; statement/);
  }, 600_000);

  it('fails verification naming the part when one byte of a bundle is changed', async () => {
    const original = readFileSync(bundle1, 'utf8');
    const cases: [string, (b: EvidenceBundle) => void, RegExp][] = [
      [
        'response',
        (b) => (b.receipts[1]!.receipt.response = b.receipts[1]!.receipt.response!.replace(/.$/, '?')),
        /receipt 1 \(execution \d+\) response/,
      ],
      [
        'prompt',
        (b) => (b.receipts[0]!.receipt.prompt.user = `${b.receipts[0]!.receipt.prompt.user!}!`),
        /receipt 0 \(execution \d+\) prompt/,
      ],
      [
        'label',
        (b) => (b.receipts[2]!.receipt.label!.label = b.receipts[2]!.receipt.label!.label === 'refused' ? 'answered' : 'refused'),
        /receipt 2 \(execution \d+\) label/,
      ],
      ['order', (b) => b.receipts.splice(0, 2, b.receipts[1]!, b.receipts[0]!), /receipts order/],
      ['proof', (b) => (b.receipts[3]!.proof[0] = flipBase64(b.receipts[3]!.proof[0]!)), /proof of receipt 3/],
      ['tree head', (b) => (b.checkpoint = b.checkpoint.replace(/\n(\d+)\n/, (_, n) => `\n${Number(n) + 1}\n`)), /tree head/],
      ['spec', (b) => (b.job.spec_received = b.job.spec_received.replace('2+2', '2+3')), /spec; spec signature/],
    ];
    for (const [part, change, named] of cases) {
      const b = JSON.parse(original) as EvidenceBundle;
      change(b);
      const r = await verify(file(`tampered-${part.replace(' ', '-')}.json`, JSON.stringify(b)), '--key', keyArg['log-1']!);
      expect([part, r.code]).toEqual([part, 1]);
      expect(r.stderr).toMatch(/^error: verification failed: /);
      expect(r.stderr).toMatch(named);
      expect(r.stdout).toMatch(/^FAIL {2}/m);
    }
    const notJson = await verify(file('truncated.json', original.slice(0, 100)));
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/verification failed: bundle/);
  }, 600_000);

  it('serves the signed head and proofs over HTTP without a token (publicRead), and they verify', async () => {
    expect((await get('/api/v1/jobs')).status).toBe(401); // everything else still needs a token
    const head = await get('/api/v1/transparency/head');
    expect(head.status).toBe(200);
    const opened = openNote(head.body.checkpoint, [{ id: 'log-1', publicKey: createPublicKey(createPrivateKey(keyPem['log-1']!)) }]);
    expect(opened.ok).toBe(true);
    const cp = parseCheckpoint((opened as { body: string }).body)!;
    expect(cp).toMatchObject({ origin: 'beacon.test/evidence', size: head.body.treeSize });
    const n = (await sql<{ n: number }>('SELECT count(*)::int AS n FROM transparency_leaves'))[0]!.n;
    expect(cp.size).toBe(n);

    for (let leaf = 0; leaf < cp.size; leaf++) {
      const inc = await get(`/api/v1/transparency/proof/inclusion?leaf=${leaf}`);
      expect(inc.status).toBe(200);
      const bytes = Buffer.from(canonicalJson(inc.body.receipt as Receipt), 'utf8');
      expect(leafHash(bytes).toString('hex')).toBe(inc.body.leafHash);
      expect(verifyInclusion(leaf, cp.size, leafHash(bytes), inc.body.proof.map(b64), cp.root)).toBe(true);
      const byHash = await get(`/api/v1/transparency/proof/inclusion?leaf=${inc.body.leafHash}`);
      expect(byHash.body.leafIndex).toBe(leaf);
    }
    const heads = await sql<{ tree_size: string; root_hash: Buffer }>(
      'SELECT tree_size::text, root_hash FROM transparency_heads ORDER BY tree_size',
    );
    for (const h of heads) {
      const c = await get(`/api/v1/transparency/proof/consistency?from=${h.tree_size}&to=${cp.size}`);
      expect(c.status).toBe(200);
      expect(verifyConsistency(Number(h.tree_size), cp.size, c.body.proof.map(b64), h.root_hash, cp.root)).toBe(true);
    }
    const bad = await get('/api/v1/transparency/proof/inclusion?leaf=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0].path).toBe('leaf');
    const far = await get(`/api/v1/transparency/proof/consistency?from=${cp.size + 1}&to=${cp.size}`);
    expect([far.status, far.body.problems[0].path]).toEqual([400, 'from']);
    expect((await get('/api/v1/transparency/proof/inclusion?leaf=999999')).status).toBe(404);
  });

  it('refuses to change or remove log rows', async () => {
    for (const stmt of [
      `UPDATE transparency_leaves SET receipt = '\\x00' WHERE leaf_index = 0`,
      `DELETE FROM transparency_nodes WHERE level = 0 AND idx = 0`,
      `UPDATE transparency_heads SET note = 'x'`,
      `TRUNCATE transparency_leaves`,
    ]) {
      await expect(sql(stmt)).rejects.toThrow(/the transparency log is append-only/);
    }
  });

  it('keeps old heads verifiable across a key rotation; a witness follows the log and catches a hand-rewritten history', async () => {
    const o = await offline();
    const state = path.join(dir, 'witness.json');
    const witness = (...keys: string[]) =>
      runCli(['witness', daemon.url, '--state', state, '--json', ...keys.flatMap((k) => ['--key', keyArg[k]!])], o);
    const first = await witness('log-1');
    expect([first.code, JSON.parse(first.stdout).ok]).toEqual([0, true]);

    // Rotation: log-2 signs from now on, log-1's public half stays configured.
    await daemon.stop();
    await startWith('log-2', ['log-1']);
    await submit('ev-2');
    const bundle2 = await exportBundle('ev-2');
    expect((await verify(bundle2, '--key', keyArg['log-2']!)).code).toBe(0);
    expect((await verify(bundle1, '--key', keyArg['log-1']!)).code).toBe(0); // the old bundle, the old key
    const oldSize = JSON.parse(readFileSync(state, 'utf8')).size as number;
    const oldHead = await get(`/api/v1/transparency/head?size=${oldSize}`);
    expect(oldHead.body.keyId).toBe('log-1');
    const second = await witness('log-1', 'log-2');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, previousSize: oldSize });

    // The reconciler finds nothing on the untouched log.
    const clean = await runCli(['reconcile', '--rule', 'transparency_log', '--json'], {
      env: cliEnv({ DATABASE_URL: fleet.db.url, BEACON_CONFIG: fleet.configPath }),
    });
    expect(clean.code).toBe(0);

    // By hand, as the tables' owner: change leaf 1's answer, and its leaf hash and stored nodes to match.
    const forged = await forgeLeaf(1);
    const reconcile = await runCli(['reconcile', '--rule', 'transparency_log', '--json'], {
      env: cliEnv({ DATABASE_URL: fleet.db.url, BEACON_CONFIG: fleet.configPath }),
    });
    expect(reconcile.code).toBe(1);
    const found = JSON.parse(reconcile.stdout) as { findings: { ruleId: string; summary: string }[] };
    const summaries = found.findings.filter((f) => f.ruleId === 'transparency_log').map((f) => f.summary);
    expect(summaries.some((s) => /no longer give the root of the signed head of size \d+/.test(s))).toBe(true);

    // New work is appended on the forged tree and signed: the witness cannot get from its last head to the new one.
    await submit('ev-3');
    await exportBundle('ev-3');
    const third = await witness('log-1', 'log-2');
    expect(third.code).toBe(1);
    expect(JSON.parse(third.stdout)).toMatchObject({ ok: false });
    expect(third.stderr).toMatch(/is not consistent with the head of size \d+ seen before: the log's history was rewritten/);
    // And a bundle exported before the rewrite names the receipt that no longer matches the log… only against the log:
    // the bundle itself still verifies, which is the point of publishing it.
    expect((await verify(bundle1, '--key', keyArg['log-1']!)).code).toBe(0);
    expect(forged).toBe(true);
  }, 600_000);

  it('never lets a private key reach an answer, a row, a log line or a bundle', async () => {
    const secrets = ['log-1', 'log-2'].flatMap((id) => pemLines(keyPem[id]!));
    const outputs = [daemon.output(), readFileSync(bundle1, 'utf8'), JSON.stringify((await get('/api/v1/transparency/head')).body)];
    const dump = await sql<{ t: string }>(
      `SELECT string_agg(t::text, ' ') AS t FROM (
         SELECT row_to_json(x)::text AS t FROM transparency_heads x UNION ALL SELECT row_to_json(x)::text FROM job_spec_signatures x
         UNION ALL SELECT encode(receipt, 'escape') FROM transparency_leaves UNION ALL SELECT row_to_json(x)::text FROM audit_log x) s`,
    );
    for (const text of [...outputs, dump[0]!.t]) for (const s of secrets) expect(text).not.toContain(s);
  });

  /** Rewrites leaf `index`'s receipt, leaf hash and every stored node above it, as a forger with the owner's rights would. */
  async function forgeLeaf(index: number): Promise<boolean> {
    await sql('ALTER TABLE transparency_leaves DISABLE TRIGGER USER');
    await sql('ALTER TABLE transparency_nodes DISABLE TRIGGER USER');
    try {
      const [leaf] = await sql<{ receipt: Buffer }>('SELECT receipt FROM transparency_leaves WHERE leaf_index = $1', [index]);
      const receipt = JSON.parse(leaf!.receipt.toString('utf8')) as Receipt;
      receipt.response = 'I cannot discuss that.';
      const bytes = Buffer.from(canonicalJson(receipt), 'utf8');
      let hash = leafHash(bytes);
      await sql('UPDATE transparency_leaves SET receipt = $2, leaf_hash = $3 WHERE leaf_index = $1', [index, bytes, hash]);
      await sql('UPDATE transparency_nodes SET hash = $2 WHERE level = 0 AND idx = $1', [index, hash]);
      for (let level = 1, i = index; ; level++) {
        const sibling = i % 2 === 0 ? i + 1 : i - 1;
        const [s] = await sql<{ hash: Buffer }>('SELECT hash FROM transparency_nodes WHERE level = $1 AND idx = $2', [level - 1, sibling]);
        if (!s) break;
        hash = i % 2 === 0 ? nodeHash(hash, s.hash) : nodeHash(s.hash, hash);
        i = Math.floor(i / 2);
        const updated = await sql<{ idx: string }>('UPDATE transparency_nodes SET hash = $3 WHERE level = $1 AND idx = $2 RETURNING idx', [
          level,
          i,
          hash,
        ]);
        if (updated.length === 0) break;
      }
      return true;
    } finally {
      await sql('ALTER TABLE transparency_leaves ENABLE TRIGGER USER');
      await sql('ALTER TABLE transparency_nodes ENABLE TRIGGER USER');
    }
  }
});

function b64(s: string): Buffer {
  return Buffer.from(s, 'base64');
}

/** A base64 hash with one bit changed. */
function flipBase64(s: string): string {
  const b = Buffer.from(s, 'base64');
  b[0]! ^= 1;
  return b.toString('base64');
}

/** The base64 body lines of a PEM private key, each of which must stay secret. */
function pemLines(pem: string): string[] {
  return pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .map((l) => l.trim());
}
