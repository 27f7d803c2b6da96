import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkpointBody, consistencyProof, leafHash, memorySubtrees, rawPublicKey, rootOf, signNote, verifierKey } from '@beacon/domain';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';

/**
 * `beacon witness` points at a log it does not trust: whatever that log does (hang, flood, answer garbage, answer an
 * error page, serve a key that is not a key), the witness ends with a clear failure and exit 1, and the state it kept
 * of the last good head is left exactly as it was, so that the next run against an honest log still compares with it.
 */

type Mode = 'honest' | 'hang' | 'flood' | 'nul' | 'html' | 'bad-key' | 'bad-proof-shape' | 'drip-stop' | 'error-page';

/** A transparency log served by a real HTTP server, honest or misbehaving as `mode` says. */
class FakeLog {
  mode: Mode = 'honest';
  size = 3;
  floodSent = 0;
  private readonly origin = 'witness-test.example/log';
  private readonly keys = generateKeyPairSync('ed25519');
  private readonly leaves = Array.from({ length: 64 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  readonly server = http.createServer((req, res) => this.answer(req, res));
  readonly publicArg = verifierKey('log-1', this.keys.publicKey);

  private head() {
    const root = rootOf(this.leaves.slice(0, this.size));
    const checkpoint = signNote(checkpointBody({ origin: this.origin, size: this.size, root }), 'log-1', this.keys.privateKey);
    const publicKey = this.mode === 'bad-key' ? Buffer.alloc(7, 1) : rawPublicKey(this.keys.publicKey);
    return {
      origin: this.origin,
      treeSize: this.size,
      rootHash: root.toString('base64'),
      keyId: 'log-1',
      checkpoint,
      signedAt: new Date().toISOString(),
      keys: [{ id: 'log-1', public_key: publicKey.toString('base64') }],
    };
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const isHead = url.pathname === '/api/v1/transparency/head';
    switch (this.mode) {
      case 'hang':
        return; // the request is read, never answered
      case 'flood': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, ' ');
        const pump = (): void => {
          while (!res.destroyed && this.floodSent < 50 * 1024 * 1024) {
            this.floodSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        return pump();
      }
      case 'nul':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(`{"origin":"\u0000","treeSize":\u0000}`);
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><body>It works!</body></html>');
      case 'error-page':
        res.writeHead(502, { 'content-type': 'text/html' });
        return void res.end('<h1>502 Bad Gateway</h1>');
      case 'drip-stop':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.write(JSON.stringify(this.head()).slice(0, 40));
      default:
        break;
    }
    if (isHead) return send(this.head());
    if (url.pathname === '/api/v1/transparency/proof/consistency') {
      const from = Number(url.searchParams.get('from'));
      const to = Number(url.searchParams.get('to'));
      if (this.mode === 'bad-proof-shape') return send({ from, to, proof: { first: 'AAAA' } });
      const proof = consistencyProof(from, to, memorySubtrees(this.leaves.slice(0, to)));
      return send({ from, to, proof: proof.map((p) => p.toString('base64')) });
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found', message: 'no such route' }));
  }
}

describe('beacon witness against a log that misbehaves', () => {
  const log = new FakeLog();
  let url = '';
  let dir = '';
  let state = '';
  const env = (extra: Record<string, string> = {}) => cliEnv({ BEACON_TOKEN: undefined, BEACON_API_TIMEOUT_MS: '1500', ...extra });
  const witness = (extra: Record<string, string> = {}, args: string[] = []) =>
    runCli(['witness', url, '--state', state, '--json', ...args], { env: env(extra) });

  beforeAll(async () => {
    requireBuild();
    await new Promise<void>((r) => log.server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(log.server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-witness-'));
    state = path.join(dir, 'state.json');
  });
  afterAll(async () => {
    log.server.closeAllConnections();
    await new Promise((r) => log.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails each misbehaviour with its reason and exit 1, keeping the last good state byte for byte', async () => {
    const first = await witness({}, ['--key', log.publicArg]);
    expect([first.code, JSON.parse(first.stdout).ok, JSON.parse(first.stdout).size]).toEqual([0, true, 3]);
    const kept = readFileSync(state);

    log.size = 9;
    const expected: [Mode, RegExp][] = [
      ['hang', /gave a bad answer to \/api\/v1\/transparency\/head: nothing arrived for 1\.5 s/],
      ['flood', /gave a bad answer to \/api\/v1\/transparency\/head: its body passed 1048576 bytes/],
      ['nul', /HTTP 200 with a body that is not JSON/],
      ['html', /HTTP 200 with a body that is not JSON: "<html><body>It works!/],
      ['drip-stop', /nothing arrived for 1\.5 s/],
      ['bad-proof-shape', /gave a bad answer to \/api\/v1\/transparency\/proof\/consistency: \$\.proof: must be a list, not an object/],
    ];
    for (const [mode, message] of expected) {
      log.mode = mode;
      const run = await witness();
      expect({ mode, code: run.code, ok: JSON.parse(run.stdout || '{}').ok, stderr: run.stderr }).toEqual({
        mode,
        code: 1,
        ok: false,
        stderr: expect.stringMatching(message),
      });
      expect(JSON.parse(run.stdout).message).toMatch(message);
      expect(readFileSync(state).equals(kept)).toBe(true);
    }
    // The flood was cut short: the witness left long before 50 MB.
    expect(log.floodSent).toBeLessThan(16 * 1024 * 1024);

    // An error page is the daemon's error with its status, not a crash.
    log.mode = 'error-page';
    const page = await witness();
    expect([page.code, page.stderr.trim()]).toEqual([1, expect.stringMatching(/^error: HTTP 502: <h1>502 Bad Gateway<\/h1>$/)]);
    expect(page.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(state).equals(kept)).toBe(true);

    // Honest again, and grown: the witness proves 3 → 9 from the state it kept.
    log.mode = 'honest';
    const grown = await witness();
    expect([grown.code, JSON.parse(grown.stdout)]).toEqual([0, expect.objectContaining({ ok: true, previousSize: 3, size: 9 })]);
  });

  it('a log serving a key that is not an Ed25519 key fails the first look with that reason, writing no state', async () => {
    const fresh = path.join(dir, 'fresh.json');
    log.mode = 'bad-key';
    const run = await runCli(['witness', url, '--state', fresh, '--json'], { env: env() });
    expect([run.code, JSON.parse(run.stdout).message]).toEqual([1, `the log's key "log-1" is not an Ed25519 public key`]);
    expect(() => readFileSync(fresh)).toThrow(/ENOENT/);
    log.mode = 'honest';
  });

  it('a state file that is not one is a usage error naming the file and the field, never a stack trace', async () => {
    log.mode = 'honest';
    const good = readFileSync(state, 'utf8');
    const cases: [string, RegExp][] = [
      [good.slice(0, good.length / 2), /--state .*state\.json: not a witness state \(.*\); move it away to start over/],
      [JSON.stringify({ ...JSON.parse(good), root: 'AAAA' }), /not a witness state: \$\.root: must be a SHA-256 hash in base64/],
      [JSON.stringify({ ...JSON.parse(good), size: -4 }), /not a witness state: \$\.size: must be >= 0/],
      [
        JSON.stringify({ ...JSON.parse(good), keys: [{ id: 'k', public_key: 'bm90IGEga2V5' }] }),
        /\.keys\[0\]\.public_key: not an Ed25519 public key/,
      ],
      ['[]', /not a witness state: \$: must be an object, not a list/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(state, text);
      const run = await witness();
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(message) });
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(state, 'utf8')).toBe(text);
    }
    writeFileSync(state, good);
  });

  it('a URL that is not one, and a timeout that is not a number, are usage errors', async () => {
    const bad = await runCli(['witness', 'localhost:8787', '--state', state], { env: env() });
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      'error: <url>: "localhost:8787" has no scheme; did you mean http://localhost:8787 ?',
    ]);
    const timeout = await witness({ BEACON_API_TIMEOUT_MS: 'soon' });
    expect([timeout.code, timeout.stderr]).toEqual([
      2,
      expect.stringContaining('BEACON_API_TIMEOUT_MS: must be a whole number of milliseconds'),
    ]);
  });

  it('any command against a daemon that never answers gives up after BEACON_API_TIMEOUT_MS with exit 6', async () => {
    log.mode = 'hang';
    const started = Date.now();
    const run = await runCli(['jobs', '--api', url, '--json'], { env: env({ BEACON_API_TIMEOUT_MS: '800' }) });
    expect(run.code).toBe(6);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: 'unreachable', message: expect.stringMatching(/nothing arrived for 0\.8 s/) },
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    log.mode = 'honest';
  });
});
