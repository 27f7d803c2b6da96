import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliEnv, repoRoot, requireBuild, runCli } from '../utils/cli.js';
import { runProcess } from '../utils/process.js';
import { closeAllFleets, Fleet, jobSpec, waitFor, type InProcessRunner } from '../utils/fleet.js';

/**
 * Defects of the `beacon` command line, each pinned by the test that first showed it: a pipe closed early, listings
 * with two JSON shapes and no way to page, an unknown command drowned in the whole help, an API address without a
 * scheme, and a `--wait` that said nothing of a call that hung.
 */

afterAll(closeAllFleets);

const bin = path.join(repoRoot, 'bin', 'beacon.js');
let fleet: Fleet;
let runner: InProcessRunner;

beforeAll(async () => {
  requireBuild();
  fleet = await Fleet.create({
    prefix: 'cliregr',
    models: ['qwen2.5-1.5b'],
    // The call of a hung cell stays open for the whole test: the region's timeout is far longer than the test.
    regions: { 'us-east': {}, 'eu-west': { timeoutMs: 600_000 } },
  });
  runner = await fleet.startInProcess();
}, 120_000);

afterAll(async () => {
  await fleet?.close();
});

describe('beacon command line', () => {
  it('regression: piping --json into a reader that stops early (head) ends quietly, without an EPIPE crash', async () => {
    // About 300 kB of JSON: far more than a pipe holds, so `head` is gone before the CLI has written it all.
    const job = await fleet.submit(jobSpec('epipe-1', 300, ['qwen2.5-1.5b'], ['us-east']), runner.url);
    await fleet.waitForJob(job.id, 120_000);
    const r = await runProcess(
      'bash',
      ['-c', `set -o pipefail; node "${bin}" executions --job ${job.id} --json | head -c 200 >/dev/null`],
      {
        env: cliEnv({ BEACON_API_URL: runner.url }),
        cwd: repoRoot,
      },
    );
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
    expect(r.code).toBe(0);
  }, 180_000);

  it('regression: executions --json has the same {items, nextCursor} envelope as jobs --json, and both take --cursor', async () => {
    const job = await fleet.submit(jobSpec('envelope-1', 3, ['qwen2.5-1.5b'], ['us-east']), runner.url);
    await fleet.waitForJob(job.id);
    await fleet.submit(jobSpec('envelope-2', 1, ['qwen2.5-1.5b'], ['us-east']), runner.url);
    const env = cliEnv({ BEACON_API_URL: runner.url });

    const first = await runCli(['executions', '--job', job.id, '--limit', '2', '--json'], { env });
    expect(first.code).toBe(0);
    const page1 = JSON.parse(first.stdout) as { items: { id: string }[]; nextCursor: string | null };
    expect(page1.items).toHaveLength(2);
    expect(typeof page1.nextCursor).toBe('string');
    const second = await runCli(['executions', '--job', job.id, '--limit', '2', '--cursor', page1.nextCursor!, '--json'], { env });
    expect(second.code).toBe(0);
    const page2 = JSON.parse(second.stdout) as { items: { id: string }[]; nextCursor: string | null };
    expect(page2.nextCursor).toBeNull();
    const rows: { id: string }[] = await fleet.ds.query('SELECT id::text AS id FROM executions WHERE job_id = $1 ORDER BY id', [job.id]);
    expect([...page1.items, ...page2.items].map((e) => e.id)).toEqual(rows.map((r) => r.id));

    const jobs1 = await runCli(['jobs', '--limit', '1', '--json'], { env });
    const j1 = JSON.parse(jobs1.stdout) as { items: { id: string }[]; nextCursor: string | null };
    expect(j1.items).toHaveLength(1);
    const jobs2 = await runCli(['jobs', '--limit', '1', '--cursor', j1.nextCursor!, '--json'], { env });
    expect(jobs2.code).toBe(0);
    const j2 = JSON.parse(jobs2.stdout) as { items: { id: string }[] };
    expect(j2.items).toHaveLength(1);
    expect(j2.items[0]!.id).not.toBe(j1.items[0]!.id);
  }, 120_000);

  it('regression: an unknown command is one short error with a suggestion, not the whole help', async () => {
    const r = await runCli(['jobz'], { env: cliEnv({}) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'jobz'/);
    expect(r.stderr).toMatch(/Did you mean one of job, jobs\?/);
    expect(r.stderr).toMatch(/beacon --help/);
    expect(r.stderr).not.toMatch(/Usage:/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });

  it('regression: an API address without a scheme (--api or BEACON_API_URL) is a usage error suggesting http://', async () => {
    const viaFlag = await runCli(['--api', 'localhost:8787', 'jobs'], { env: cliEnv({}) });
    expect(viaFlag.code).toBe(2);
    expect(viaFlag.stderr).toMatch(/--api: .*http:\/\/localhost:8787/);
    expect(viaFlag.stderr).not.toMatch(/unknown scheme/);
    const viaEnv = await runCli(['jobs'], { env: cliEnv({ BEACON_API_URL: 'localhost:8787' }) });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toMatch(/BEACON_API_URL: .*http:\/\/localhost:8787/);
    // The flag works after the command too, and a good address is used.
    const good = await runCli(['jobs', '--api', runner.url, '--json'], { env: cliEnv({}) });
    expect(good.code).toBe(0);
  });

  it('regression: --wait names the call in flight and how long it has been running, when a call hangs', async () => {
    fleet.sim.setFaults({ hangRate: 1 });
    const file = path.join(os.tmpdir(), `beacon-hung-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(jobSpec('hung-1', 1, ['qwen2.5-1.5b'], ['eu-west'])));
    const child = spawn(process.execPath, [bin, 'submit', file, '--wait'], {
      env: cliEnv({ BEACON_API_URL: runner.url }),
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      // The call is open (its attempt row has no outcome) …
      await waitFor(
        'the hung call to start',
        async () => {
          const rows: { n: number }[] = await fleet.ds.query(
            `SELECT count(*)::int AS n FROM execution_attempts WHERE job_id = 'hung-1' AND outcome IS NULL`,
          );
          return rows[0]!.n === 1;
        },
        60_000,
      );
      const seenBefore = stderr.length;
      // … and the next progress lines print after it opened: they name the cell and its age.
      const line = await waitFor(
        'a progress line naming the call in flight',
        () => /in flight .*q1 .*qwen2\.5-1\.5b .*eu-west .*\d+ s/.exec(stderr.slice(seenBefore))?.[0],
        60_000,
        () => stderr,
      );
      const [cell]: { id: string }[] = await fleet.ds.query(`SELECT id::text AS id FROM executions WHERE job_id = 'hung-1'`);
      expect(line).toContain(`#${cell!.id}`);
      // The age shown comes from the listing's callStartedAt / callAgeMs: the open attempt's start, aged on the
      // database clock (between the database's now() just before and just after the answer).
      const [before]: { now: Date; started: Date }[] = await fleet.ds.query(
        `SELECT now() AS now, started_at AS started FROM execution_attempts WHERE job_id = 'hung-1' AND outcome IS NULL`,
      );
      const page = (await (await fetch(`${runner.url}/api/v1/executions?job=hung-1&state=running`)).json()) as {
        items: { id: string; callStartedAt: string; callAgeMs: number }[];
      };
      const [after]: { now: Date }[] = await fleet.ds.query('SELECT now() AS now');
      expect(page.items.map((e) => [e.id, e.callStartedAt])).toEqual([[cell!.id, before!.started.toISOString()]]);
      expect(page.items[0]!.callAgeMs).toBeGreaterThanOrEqual(before!.now.getTime() - before!.started.getTime() - 1);
      expect(page.items[0]!.callAgeMs).toBeLessThanOrEqual(after!.now.getTime() - before!.started.getTime() + 1);
    } finally {
      child.kill('SIGKILL');
      fleet.sim.setFaults({ hangRate: 0 });
    }
  }, 180_000);
});
