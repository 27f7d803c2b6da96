import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliEnv, freePort, repoRoot, requireBuild, runCli, startDaemon, type Daemon } from '../utils/cli.js';
import { destroyBaseDir } from '../utils/embedded-fixtures.js';
import { throwawayDatabase } from '../utils/test-database.js';

const fixture = path.join(repoRoot, 'test', 'fixtures', 'jobs', 'bias-detection-8x3x3.json');
const portal = path.join(repoRoot, 'test', 'fixtures', 'jobs', 'legacy-portal-cross-region.json');

describe('beacon CLI against a daemon on DATABASE_URL', () => {
  let db: { url: string; drop(): Promise<void> };
  let daemon: Daemon;
  let env: NodeJS.ProcessEnv;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'beacon-cli-'));

  beforeAll(async () => {
    requireBuild();
    db = await throwawayDatabase('cli');
    daemon = await startDaemon({ env: cliEnv({ DATABASE_URL: db.url }) });
    env = cliEnv({ BEACON_API_URL: daemon.url });
  });
  afterAll(async () => {
    await daemon?.stop();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('submits both fixtures and reports their cells', async () => {
    const a = await runCli(['submit', fixture, '--json'], { env });
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ id: 'bias-detection-1759245498941', cells: 72, created: true, httpStatus: 201 });
    const b = await runCli(['submit', portal], { env });
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/submitted job bias-detection-1760476855858: 12 cells/);
    const again = await runCli(['submit', fixture], { env });
    expect(again.stdout).toMatch(/already submitted job bias-detection-1759245498941: 72 cells/);
  });

  it('lists jobs, one job and its executions, as text and as JSON', async () => {
    const jobs = await runCli(['jobs', '--json'], { env });
    expect(JSON.parse(jobs.stdout).items.map((j: { id: string }) => j.id)).toEqual(
      expect.arrayContaining(['bias-detection-1759245498941', 'bias-detection-1760476855858']),
    );
    const text = await runCli(['jobs'], { env });
    expect(text.stdout.split('\n')[0]).toMatch(/^JOB\s+STATUS\s+CELLS/);
    const job = await runCli(['job', 'bias-detection-1759245498941'], { env });
    // The daemon is working on them (its simulator is down, so they fail and wait): a call may be in flight.
    expect(job.stdout).toMatch(/cells\s+72 planned of 72 expected \(pending (72|\d+, running \d+)\)/);
    const execs = await runCli(['executions', '--job', 'bias-detection-1759245498941', '--json'], { env });
    expect(JSON.parse(execs.stdout)).toMatchObject({ items: expect.any(Array), nextCursor: null });
    expect(JSON.parse(execs.stdout).items).toHaveLength(72);
    const eu = await runCli(['executions', '--job', 'bias-detection-1759245498941', '--region', 'eu-west', '--model', 'mistral-7b'], {
      env,
    });
    expect(eu.stdout.trim().split('\n')).toHaveLength(1 + 8);
  });

  it('exits 3 with every problem listed when the spec is rejected', async () => {
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ questions: ['math_basic'], models: ['gpt-9'], regions: ['moon'] }));
    const r = await runCli(['submit', bad], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\$\.models\[0\]: unknown model "gpt-9"/);
    expect(r.stderr).toMatch(/\$\.regions\[0\]: unknown region "moon"/);
  });

  it('exits 5 on a conflicting resubmission, 4 on an unknown job, 2 on a missing file', async () => {
    const changed = path.join(tmp, 'changed.json');
    writeFileSync(changed, readFileSync(fixture, 'utf8').replace('"min_regions": 2', '"min_regions": 1'));
    expect((await runCli(['submit', changed], { env })).code).toBe(5);
    expect((await runCli(['job', 'does-not-exist'], { env })).code).toBe(4);
    expect((await runCli(['submit', path.join(tmp, 'missing.json')], { env })).code).toBe(2);
  });

  it('with --json a failure is one {error} object on stdout: code, exit code, message and the problems stderr lists', async () => {
    const bad = path.join(tmp, 'bad-json.json');
    writeFileSync(bad, JSON.stringify({ questions: ['math_basic'], models: ['gpt-9'], regions: ['moon'] }));
    const rejected = await runCli(['submit', bad, '--json'], { env });
    type Failure = { error: { code: string; exitCode: number; message: string; problems: { path: string; message: string }[] } };
    const { error } = JSON.parse(rejected.stdout) as Failure;
    expect([rejected.code, error.code, error.exitCode]).toEqual([3, 'rejected', 3]);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        { path: '$.models[0]', message: expect.stringMatching(/unknown model "gpt-9"/) },
        { path: '$.regions[0]', message: expect.stringMatching(/unknown region "moon"/) },
      ]),
    );
    // The same failure, line for line, on stderr.
    expect(rejected.stderr.trim().split('\n')).toEqual([
      `error: ${error.message}`,
      ...error.problems.map((p) => `  ${p.path}: ${p.message}`),
    ]);

    const missing = await runCli(['job', 'does-not-exist', '--json'], { env });
    expect([missing.code, JSON.parse(missing.stdout)]).toEqual([
      4,
      { error: { code: 'not_found', exitCode: 4, message: expect.stringContaining('does-not-exist'), problems: [] } },
    ]);
    const changed = path.join(tmp, 'changed-json.json');
    writeFileSync(changed, readFileSync(fixture, 'utf8').replace('"min_regions": 2', '"min_regions": 1'));
    const conflict = await runCli(['submit', changed, '--json'], { env });
    expect([conflict.code, (JSON.parse(conflict.stdout) as Failure).error.code]).toEqual([5, 'conflict']);
    // Without --json, stdout stays empty.
    expect((await runCli(['job', 'does-not-exist'], { env })).stdout).toBe('');
  });

  it('exits 6 with a hint when no daemon answers', async () => {
    const port = await freePort();
    const r = await runCli(['jobs'], { env: cliEnv({ BEACON_API_URL: `http://127.0.0.1:${port}` }) });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/beacon serve/);
  });

  it('stops cleanly on SIGTERM', async () => {
    const second = await startDaemon({ env: cliEnv({ DATABASE_URL: db.url }) });
    expect(await second.stop('SIGTERM')).toBe(0);
  });
});

describe('beacon serve on the embedded database', () => {
  // Traversable by the postgres OS user, so that the cluster lives in <cwd>/.beacon/pg as it does in a checkout.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'beacon-embedded-spec-cli-'));
  chmodSync(cwd, 0o755);
  const env = cliEnv({ DATABASE_URL: undefined, BEACON_DATA_DIR: undefined });
  const daemons: Daemon[] = [];
  const pidFile = path.join(cwd, '.beacon', 'pg', 'postmaster.pid');

  beforeAll(() => requireBuild());
  afterAll(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
    await destroyBaseDir(path.join(cwd, '.beacon'));
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts with no configuration, survives kill -9, comes back with its data, and stops its server on SIGTERM', async () => {
    const first = await startDaemon({ env, cwd, timeoutMs: 120_000 });
    daemons.push(first);
    const submitted = await runCli(['submit', fixture, '--json'], { env: { ...env, BEACON_API_URL: first.url } });
    expect(JSON.parse(submitted.stdout).cells).toBe(72);

    const migrate = await runCli(['migrate', '--json'], { env, cwd });
    expect(migrate.code).toBe(0);
    expect(JSON.parse(migrate.stdout)).toEqual({ applied: [] });

    await first.stop('SIGKILL');
    expect(existsSync(pidFile)).toBe(true);

    const second = await startDaemon({ env, cwd, timeoutMs: 120_000 });
    daemons.push(second);
    const jobs = await runCli(['executions', '--job', 'bias-detection-1759245498941', '--json'], {
      env: { ...env, BEACON_API_URL: second.url },
    });
    expect(JSON.parse(jobs.stdout).items).toHaveLength(72);

    expect(await second.stop('SIGTERM')).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });
});
