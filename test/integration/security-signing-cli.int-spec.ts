import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rawPublicKeyBase64 } from '@beacon/domain';
import { cliEnv, requireBuild, runCli, startDaemon, type Daemon } from '../utils/cli.js';
import { throwawayDatabase } from '../utils/test-database.js';

/** The CLI's environment with no signing defaults inherited from the caller's. */
const baseEnv = (extra: Record<string, string | undefined> = {}) =>
  cliEnv({ BEACON_SIGN_KEY: undefined, BEACON_KEY_ID: undefined, ...extra });
const spec = (id: string) => JSON.stringify({ id, questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] });

describe('beacon keys create', () => {
  let dir: string;
  beforeAll(() => {
    requireBuild();
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the private key as PKCS#8 PEM with mode 0600 and prints its public key and config entry', async () => {
    const out = path.join(dir, 'keys');
    const r = await runCli(['keys', 'create', '--id', 'ci-1', '--out', out, '--json'], { env: baseEnv() });
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    const file = path.join(out, 'ci-1.key');
    expect(printed).toMatchObject({
      id: 'ci-1',
      privateKeyFile: file,
      configEntry: { id: 'ci-1', publicKey: printed.publicKey, status: 'active' },
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pem = readFileSync(file, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(rawPublicKeyBase64(createPublicKey(key))).toBe(printed.publicKey);
    expect(Buffer.from(printed.publicKey, 'base64')).toHaveLength(32);
    expect(r.stdout).not.toContain('PRIVATE KEY');

    const text = await runCli(['keys', 'create', '--id', 'ci-2', '--out', out], { env: baseEnv() });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}- \{ id: "ci-2", publicKey: "[A-Za-z0-9+/]{43}=", status: active \}$/m);
  });

  it('refuses to overwrite an existing key file (exit 5) and leaves it as it was', async () => {
    const out = path.join(dir, 'again');
    expect((await runCli(['keys', 'create', '--id', 'dup', '--out', out], { env: baseEnv() })).code).toBe(0);
    const file = path.join(out, 'dup.key');
    const before = readFileSync(file, 'utf8');
    const r = await runCli(['keys', 'create', '--id', 'dup', '--out', out], { env: baseEnv() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/dup\.key already exists; refusing to overwrite/);
    expect(r.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rejects a key id the configuration would not accept (exit 2)', async () => {
    const r = await runCli(['keys', 'create', '--id', '../escape', '--out', dir], { env: baseEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--id: must match/);
  });
});

describe('beacon submit --sign-key against a daemon that requires signed specs', () => {
  let db: { url: string; drop(): Promise<void> };
  let daemon: Daemon;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let trustedKey: string;
  let strangerKey: string;
  const file = (name: string, body: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, body);
    return p;
  };
  const jobExists = async (id: string) => {
    const r = await runCli(['job', id, '--json'], { env });
    expect([0, 4]).toContain(r.code);
    return r.code === 0;
  };

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-signcli-'));
    const keysDir = path.join(dir, 'keys');
    const trusted = await runCli(['keys', 'create', '--id', 'ci-signer', '--out', keysDir], { env: baseEnv() });
    const stranger = await runCli(['keys', 'create', '--id', 'stranger', '--out', keysDir], { env: baseEnv() });
    expect([trusted.code, stranger.code]).toEqual([0, 0]);
    trustedKey = path.join(keysDir, 'ci-signer.key');
    strangerKey = path.join(keysDir, 'stranger.key');
    // The entry exactly as `keys create` printed it, pasted under signing.keys.
    const entry = trusted.stdout.split('\n').find((l) => l.startsWith('  - { id: '));
    expect(entry).toBeDefined();
    const config = file('beacon.config.yaml', `signing:\n  required: true\n  keys:\n${entry}\n`);
    db = await throwawayDatabase('signcli');
    daemon = await startDaemon({ env: cliEnv({ DATABASE_URL: db.url, BEACON_CONFIG: config }) });
    env = baseEnv({ BEACON_API_URL: daemon.url });
  });
  afterAll(async () => {
    await daemon?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a submission signed with --sign-key and --key-id, with a fresh nonce each time', async () => {
    const spec1 = file('signed.json', spec('cli-signed-1'));
    const r = await runCli(['submit', spec1, '--sign-key', trustedKey, '--key-id', 'ci-signer', '--json'], { env });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'cli-signed-1', created: true, httpStatus: 201, cells: 1 });
    expect(await jobExists('cli-signed-1')).toBe(true);
    // A reused nonce would be refused as a replay (409, exit 5); a new signature is made for every submission.
    const again = await runCli(['submit', spec1, '--sign-key', trustedKey, '--key-id', 'ci-signer'], { env });
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toMatch(/already submitted job cli-signed-1/);
  });

  it('takes the key and its id from BEACON_SIGN_KEY and BEACON_KEY_ID, also for a spec read from stdin', async () => {
    const r = await runCli(['submit', '-', '--json'], {
      env: { ...env, BEACON_SIGN_KEY: trustedKey, BEACON_KEY_ID: 'ci-signer' },
      input: spec('cli-signed-env'),
    });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'cli-signed-env', created: true, httpStatus: 201 });
  });

  it('is refused without a signature (exit 3, signature_missing) and creates no job', async () => {
    const r = await runCli(['submit', file('unsigned.json', spec('cli-unsigned'))], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/signature_missing/);
    expect(r.stderr).toMatch(/--sign-key/);
    expect(await jobExists('cli-unsigned')).toBe(false);
  });

  it('is refused when signed by a key the daemon does not trust (exit 3) and creates no job', async () => {
    const spec2 = file('stranger.json', spec('cli-stranger'));
    const unknown = await runCli(['submit', spec2, '--sign-key', strangerKey, '--key-id', 'stranger'], { env });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/key_unknown/);
    const impostor = await runCli(['submit', spec2, '--sign-key', strangerKey, '--key-id', 'ci-signer'], { env });
    expect(impostor.code).toBe(3);
    expect(impostor.stderr).toMatch(/signature_invalid/);
    expect(await jobExists('cli-stranger')).toBe(false);
  });

  it('needs both --sign-key and --key-id, naming the missing one (exit 2), before sending anything', async () => {
    const spec3 = file('half.json', spec('cli-half'));
    const noId = await runCli(['submit', spec3, '--sign-key', trustedKey], { env });
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/--sign-key needs --key-id/);
    const noKey = await runCli(['submit', spec3, '--key-id', 'ci-signer'], { env });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--key-id needs --sign-key/);
    const notAKey = await runCli(['submit', spec3, '--sign-key', spec3, '--key-id', 'ci-signer'], { env });
    expect(notAKey.code).toBe(2);
    expect(notAKey.stderr).toMatch(/--sign-key: .* is not a PEM private key/);
    expect(await jobExists('cli-half')).toBe(false);
  });
});
