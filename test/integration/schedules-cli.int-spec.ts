import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';

/** `beacon schedule …` against a real daemon: clear errors naming the flag, exit codes, tables and --json, from the rows. */
describe('beacon schedule', () => {
  let runner: TestRunner;
  let dir: string;
  let specFile: string;

  beforeAll(async () => {
    requireBuild();
    runner = await startTestRunner();
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-sched-cli-'));
    specFile = path.join(dir, 'nightly.json');
    writeFileSync(specFile, JSON.stringify({ id: 'nightly', questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] }));
  });
  afterAll(async () => {
    await runner?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const beacon = (...args: string[]) => runCli(['schedule', ...args], { env: cliEnv({ BEACON_API_URL: runner.baseUrl }) });

  it('refuses bad cadences with exit 2 and a message naming the flag, and stores nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['add', specFile, '--every', '1h', '--cron', '0 * * * *'], /--every \/ --cron: give exactly one/],
      [['add', specFile], /--every \/ --cron: give exactly one/],
      [['add', specFile, '--every', '500ms'], /--every: must be at least 1s/],
      [['add', specFile, '--cron', '61 * * * *'], /--cron: minute field "61": 61 is outside 0-59/],
      [['add', specFile, '--every', '1h', '--overlap', 'wait'], /--overlap: must be one of skip, queue/],
      [['add', specFile, '--every', '1h', '--keep-runs', '0'], /--keep-runs: must be an integer from 1/],
      [['add', specFile, '--every', '1h', '--name', '-x'], /--name: must match/],
    ];
    for (const [args, message] of cases) {
      const r = await beacon(...args);
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
    expect((await runner.ds.query('SELECT count(*)::int AS n FROM schedules'))[0].n).toBe(0);
  });

  it('adds a schedule named after the spec id, lists it and shows it, in tables and as JSON', async () => {
    const added = await beacon('add', specFile, '--every', '6h', '--keep-runs', '5', '--json');
    expect(added.code).toBe(0);
    const body = JSON.parse(added.stdout);
    expect(body).toMatchObject({ name: 'nightly', cadence: { kind: 'every', every: '6h' }, keepRuns: 5, cells: 1 });
    const [row] = await runner.ds.query(`SELECT every_ms::int AS every_ms, keep_runs, next_run_at FROM schedules WHERE id = 'nightly'`);
    expect(row).toMatchObject({ every_ms: 21_600_000, keep_runs: 5 });
    expect(body.nextRunAt).toBe((row.next_run_at as Date).toISOString());
    const again = await beacon('add', specFile, '--every', '6h');
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/a schedule named nightly exists/);

    const list = await beacon('list');
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+CADENCE\s+STATE\s+NEXT RUN\s+RUNS/);
    expect(list.stdout).toMatch(/nightly\s+every 6h\s+active\s+\S+\s+0\s+-\s+skip\s+1\s+5 runs/);
    expect(JSON.parse((await beacon('list', '--json')).stdout).items.map((s: { name: string }) => s.name)).toEqual(['nightly']);
  });

  it('run-now makes a job; show lists the tick with its outcome and job', async () => {
    const r = await beacon('run-now', 'nightly');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('schedule nightly: run 1 is job nightly-1\n');
    const [job] = await runner.ds.query(`SELECT id, schedule_run, cells_expected FROM jobs WHERE schedule_id = 'nightly'`);
    expect(job).toEqual({ id: 'nightly-1', schedule_run: 1, cells_expected: 1 });
    const show = await beacon('show', 'nightly');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^runs\s+1, last nightly-1 \(queued\)$/m);
    expect(show.stdout).toMatch(/fired \(manual\)\s+nightly-1\s+1/);
    const json = JSON.parse((await beacon('show', 'nightly', '--json')).stdout);
    expect(json.ticks).toEqual([expect.objectContaining({ outcome: 'fired', manual: true, jobId: 'nightly-1', run: 1 })]);
  });

  it('pauses, resumes, updates and removes; an unknown schedule exits 4', async () => {
    expect((await beacon('pause', 'nightly')).stdout).toBe('schedule nightly: paused\n');
    expect((await runner.ds.query(`SELECT paused, next_run_at FROM schedules WHERE id = 'nightly'`))[0]).toEqual({
      paused: true,
      next_run_at: null,
    });
    expect((await beacon('resume', 'nightly')).stdout).toMatch(/^schedule nightly: active, next run at \S+Z\n$/);
    const upd = await beacon('update', 'nightly', '--keep-runs', 'none', '--keep-days', '30', '--overlap', 'queue', '--json');
    expect(JSON.parse(upd.stdout)).toMatchObject({ keepRuns: null, keepDays: 30, overlap: 'queue' });
    expect((await beacon('update', 'nightly')).code).toBe(2);
    for (const cmd of ['show', 'pause', 'resume', 'run-now', 'remove']) {
      const r = await beacon(cmd, 'nope');
      expect([cmd, r.code, r.stderr]).toEqual([cmd, 4, 'error: no schedule named nope\n  name: no such schedule\n']);
    }
    expect((await beacon('remove', 'nightly')).stdout).toBe('schedule nightly removed\n');
    expect((await runner.ds.query(`SELECT count(*)::int AS n FROM schedules`))[0].n).toBe(0);
  });
});
