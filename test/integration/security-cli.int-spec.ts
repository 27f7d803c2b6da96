import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyToken } from '@beacon/domain';
import { cliEnv, freePort, requireBuild, runCli } from '../utils/cli.js';

describe('beacon token create and the loopback rule of beacon serve', () => {
  let dir: string;
  beforeAll(() => {
    requireBuild();
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-sec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a new token once with a config entry holding only its public id and hash', async () => {
    const r = await runCli(['token', 'create', '--name', 'ci', '--role', 'submitter', '--json'], { env: cliEnv({}) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      name: 'ci',
      role: 'submitter',
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      hash: expect.stringMatching(/^sha256:/),
    });
    expect(out.token).toBe(`bct_${out.id}_${out.token.slice(17)}`);
    expect(out.env).toBe(`ci:submitter:${out.id}:${out.hash}`);
    expect(await verifyToken(out.token, out.hash)).toBe(true);
    const text = await runCli(['token', 'create', '--name', 'ops', '--role', 'operator', '--hash', 'scrypt'], { env: cliEnv({}) });
    expect(text.stdout).toMatch(/- \{ name: ops, role: operator, id: "[0-9a-f]{12}", hash: "scrypt:16384:8:1:[^"]+" \}/);
    expect(text.stdout).toMatch(/\n  ops:operator:[0-9a-f]{12}:scrypt:16384:8:1:\S+\n/);
    const bad = await runCli(['token', 'create', '--name', 'x', '--role', 'root'], { env: cliEnv({}) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--role: must be one of viewer, submitter, operator, admin/);
  });

  it('refuses to serve on a non-loopback address without tokens, before touching any database', async () => {
    const port = await freePort();
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', String(port), '--no-workers'], {
      env: cliEnv({ BEACON_DATA_DIR: path.join(dir, 'data') }),
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without API tokens/);
  });

  it('refuses a token configured in clear instead of as a hash', async () => {
    writeFileSync(path.join(dir, 'beacon.config.yaml'), 'auth:\n  tokens:\n    - { name: ci, role: viewer, hash: plain-secret }\n');
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '1'], {
      env: cliEnv({ BEACON_DATA_DIR: path.join(dir, 'data') }),
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/auth\.tokens\[0\]\.hash: must be sha256/);
  });
});
