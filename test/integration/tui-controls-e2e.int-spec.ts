import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashToken } from '@beacon/domain';
import { repoRoot, requireBuild } from '../utils/cli.js';
import { closeAllFleets, Fleet, invariants, jobSpec, waitFor, type JobSpecInput } from '../utils/fleet.js';
import type { Daemon } from '../utils/cli.js';

const run = promisify(execFile);
afterAll(closeAllFleets);

const MODEL = 'qwen2.5-1.5b';
const OPERATOR = { name: 'otto', secret: 'bct_tui-controls-operator-secret' };
const VIEWER = { name: 'vera', secret: 'bct_tui-controls-viewer-secret' };
const socket = `beacon-tui-controls-${process.pid}`;
const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

type Row = Record<string, any>;

/**
 * The operator controls of `beacon tui`, pressed as keys in a real terminal (tmux) against `beacon serve` with tokens,
 * the simulator with faults and Postgres. What the keys did is checked from the rows, not from the screen.
 */
describe('beacon tui operator controls in a terminal', () => {
  let fleet: Fleet;
  let daemon: Daemon;
  let session = 0;

  beforeAll(async () => {
    requireBuild();
    fleet = await Fleet.create({
      prefix: 'tui_controls',
      models: [MODEL],
      regions: { 'us-east': { concurrency: 4 }, 'eu-west': { concurrency: 4 } },
      env: {
        BEACON_AUTH_TOKENS: [
          `${OPERATOR.name}:operator:${hashToken(OPERATOR.secret)}`,
          `${VIEWER.name}:viewer:${hashToken(VIEWER.secret)}`,
        ].join(' '),
      },
    });
    daemon = await fleet.startDaemon();
  }, 180_000);
  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined);
    await fleet?.close();
  });

  /** Starts `beacon tui` with a token in a new 110 × 30 tmux session; returns its name. */
  async function startTui(token: string): Promise<string> {
    const name = `ctl${++session}`;
    const vars = Object.entries({ CI: 'false', NO_COLOR: '1', TERM: 'xterm-256color', BEACON_TOKEN: token }).map(([k, v]) => `${k}=${v}`);
    await tmux(
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '110',
      '-y',
      '30',
      'env',
      ...vars,
      process.execPath,
      path.join(repoRoot, 'bin/beacon.js'),
      'tui',
      '--api',
      daemon.url,
    );
    await tmux('set-option', '-t', name, 'remain-on-exit', 'on');
    return name;
  }
  const capture = async (name: string) => (await tmux('capture-pane', '-p', '-t', name)).stdout;
  const keys = (name: string, ...k: string[]) => tmux('send-keys', '-t', name, ...k);

  /** Waits until the pane shows what `check` wants (generous: the machine may be busy); fails with the pane's text. */
  async function waitForPane(name: string, check: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
    return waitFor(
      `pane ${name}`,
      async () => ((t) => (check(t) ? t : null))(await capture(name)),
      timeoutMs,
      () => capture(name),
      50,
    );
  }

  /**
   * Presses a control key until the pane shows `want`. The TUI asks the API for the token's role as it starts; a key
   * pressed before the answer (a busy machine) is refused with "until the token's role is known", and pressed again.
   */
  async function control(name: string, key: string, want: (text: string) => boolean): Promise<string> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      await keys(name, key);
      const text = await waitForPane(name, (t) => want(t) || t.includes("until the token's role is known"));
      if (want(text)) return text;
      if (Date.now() > deadline) throw new Error(`the TUI never learned the token's role\n${text}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function submit(spec: JobSpecInput): Promise<string> {
    const res = await fetch(`${daemon.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR.secret}` },
      body: JSON.stringify(spec),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function jobStatus(jobId: string): Promise<string> {
    const [r]: Row[] = await fleet.ds.query('SELECT status FROM jobs WHERE id = $1', [jobId]);
    return r!.status as string;
  }

  async function audits(jobId: string, action: string): Promise<Row[]> {
    return fleet.ds.query(`SELECT principal, role, status FROM audit_log WHERE path = $1 ORDER BY id`, [`/api/v1/jobs/${jobId}/${action}`]);
  }

  it('a viewer is not offered the controls: each key says why, and nothing is sent', async () => {
    const jobId = await submit(jobSpec('tui-viewer', 1, [MODEL], ['us-east']));
    expect(await fleet.waitForJob(jobId, 120_000)).toBe('completed');
    const name = await startTui(VIEWER.secret);
    await waitForPane(name, (t) => new RegExp(`^› ${jobId}\\s+completed`, 'm').test(t));
    for (const k of ['R', 'p', 'x']) {
      const text = await control(name, k, (t) => t.includes('not allowed: this needs the'));
      expect(text).not.toContain('(y/N)');
      await keys(name, 'j'); // any key clears the status line
      await waitForPane(name, (t) => !t.includes('not allowed'));
    }
    // The Daemons screen: drain is refused the same way.
    await keys(name, '8');
    await waitForPane(name, (t) => t.includes('[Fleet]') && /› daemon /.test(t));
    await keys(name, 'd');
    await waitForPane(name, (t) => t.includes('not allowed: this needs the operator role, the token is a viewer'));
    for (const action of ['retry', 'pause', 'cancel']) expect(await audits(jobId, action)).toEqual([]);
    const [d]: Row[] = await fleet.ds.query('SELECT count(*)::int AS n FROM runners WHERE draining_at IS NOT NULL');
    expect(d!.n).toBe(0);
    await keys(name, 'q');
  }, 240_000);

  it('retries the failed cells of a job from the keys until it completes: one result per cell, earlier attempts kept', async () => {
    // Every call to eu-west fails: its cells fail finally after their two attempts, us-east's succeed.
    fleet.sim.setFaults({ outages: [{ region: 'eu-west', startMs: 0, endMs: 1e13 }] });
    try {
      const jobId = await submit(jobSpec('tui-retry', 2, [MODEL], ['us-east', 'eu-west'], { max_attempts: 2 }));
      expect(await fleet.waitForJob(jobId, 180_000)).toBe('failed');
      expect(await fleet.states(jobId)).toEqual({ succeeded: 2, failed: 2 });
      const attemptIds = async (): Promise<string[]> =>
        (
          await fleet.ds.query('SELECT id::text AS id FROM execution_attempts WHERE job_id = $1 ORDER BY execution_attempts.id', [jobId])
        ).map((r: Row) => r.id);
      const first = await attemptIds();

      const name = await startTui(OPERATOR.secret);
      await waitForPane(name, (t) => new RegExp(`^› ${jobId}\\s+failed`, 'm').test(t));
      // R asks first; n sends nothing.
      await control(name, 'R', (t) => t.includes(`re-run every failed cell of job ${jobId}? (y/N)`));
      await keys(name, 'n');
      await waitForPane(name, (t) => t.includes('not done: answered no'));
      expect(await audits(jobId, 'retry')).toEqual([]);

      // Retried while eu-west is still down: its cells fail again.
      await keys(name, 'R');
      await waitForPane(name, (t) => t.includes('(y/N)'));
      await keys(name, 'y');
      await waitForPane(name, (t) => t.includes(`job ${jobId}: 2 failed cell(s) queued again, failed → running`));
      await waitFor('the retried cells to fail again', async () => (await jobStatus(jobId)) === 'failed', 180_000);
      const second = await attemptIds();
      expect(second.slice(0, first.length)).toEqual(first);
      expect(second.length).toBeGreaterThan(first.length);

      // eu-west is back: the next retry completes the job.
      fleet.sim.setFaults({ outages: [] });
      await waitForPane(name, (t) => new RegExp(`^› ${jobId}\\s+failed`, 'm').test(t));
      await keys(name, 'R');
      await waitForPane(name, (t) => t.includes('(y/N)'));
      await keys(name, 'y');
      await waitForPane(name, (t) => t.includes(`job ${jobId}: 2 failed cell(s) queued again`));
      await waitForPane(name, (t) => new RegExp(`^› ${jobId}\\s+completed\\s+█{10}\\s+4/4`, 'm').test(t), 180_000);
      expect(await jobStatus(jobId)).toBe('completed');

      // Exactly one result per cell, and every earlier attempt is still there.
      const inv = await invariants(fleet.ds, jobId);
      expect(inv).toMatchObject({ cells: 4, succeeded: 4, cellsWithMoreThanOneSucceededAttempt: 0, cellsWithResultButNotSucceeded: 0 });
      const [results]: Row[] = await fleet.ds.query(
        `SELECT count(*)::int AS cells, count(*) FILTER (WHERE result_attempt IS NOT NULL)::int AS with_result,
                (SELECT count(*)::int FROM execution_attempts WHERE job_id = $1 AND outcome = 'succeeded') AS succeeded_attempts
           FROM executions WHERE job_id = $1`,
        [jobId],
      );
      expect(results).toEqual({ cells: 4, with_result: 4, succeeded_attempts: 4 });
      const third = await attemptIds();
      expect(third.slice(0, second.length)).toEqual(second);
      // Each confirmed retry was audited as the operator's, answered 200; the declined one left no row.
      // Audit rows are written once the answer is sent: wait for both.
      expect(
        await waitFor('the audit rows', async () => ((r) => (r.length >= 2 ? r : null))(await audits(jobId, 'retry')), 30_000),
      ).toEqual([
        { principal: OPERATOR.name, role: 'operator', status: 200 },
        { principal: OPERATOR.name, role: 'operator', status: 200 },
      ]);
      await keys(name, 'q');
    } finally {
      fleet.sim.setFaults({ outages: [] });
    }
  }, 600_000);

  it('pauses a job and resumes it from the keys: nothing of it is claimed while paused', async () => {
    fleet.sim.setFaults({ latencyMs: { min: 800, max: 1400 } });
    try {
      const jobId = await submit(jobSpec('tui-pause', 60, [MODEL], ['us-east']));
      const name = await startTui(OPERATOR.secret);
      await waitForPane(name, (t) => new RegExp(`^› ${jobId}\\s+running`, 'm').test(t));
      await waitFor('some calls to end', async () => (await fleet.states(jobId)).succeeded ?? 0, 120_000);
      await control(name, 'p', (t) => t.includes(`pause job ${jobId}? (y/N)`));
      await keys(name, 'y');
      await waitForPane(name, (t) => new RegExp(`job ${jobId} \\(\\w+\\): paused`).test(t));
      const [paused]: Row[] = await fleet.ds.query('SELECT paused_at, now() AS seen FROM jobs WHERE id = $1', [jobId]);
      expect(paused!.paused_at).not.toBeNull();
      // The promise is that no call starts once the pause is committed. `paused_at` is the pause statement's start: a
      // call whose statement began before the pause committed (its snapshot without the pause) may start a moment
      // after that. The TUI said "paused" after the API answered, so the pause was committed by `seen`.
      const pausedAt = paused!.seen as Date;

      // Calls in flight end and cells claimed ahead go back; then, over several polls of the daemon, nothing is claimed.
      const activity = async () => {
        const [r]: Row[] = await fleet.ds.query(
          `SELECT (SELECT count(*)::int FROM execution_attempts WHERE job_id = $1 AND started_at > $2) AS started_after,
                  (SELECT coalesce(sum(attempts), 0)::int FROM executions WHERE job_id = $1) AS claims,
                  (SELECT count(*)::int FROM executions WHERE job_id = $1 AND state = 'running') AS running`,
          [jobId, pausedAt],
        );
        return r!;
      };
      await waitFor('the calls in flight to end', async () => (await activity()).running === 0, 60_000);
      const settled = await activity();
      await new Promise((r) => setTimeout(r, 2000));
      expect(await activity()).toEqual({ ...settled, started_after: 0, running: 0 });
      expect((await fleet.states(jobId)).pending ?? 0).toBeGreaterThan(0);

      await keys(name, 'P');
      await waitForPane(name, (t) => t.includes(`resume job ${jobId}? (y/N)`));
      await keys(name, 'y');
      await waitForPane(name, (t) => new RegExp(`job ${jobId} \\(\\w+\\): resumed`).test(t));
      await waitForPane(name, (t) => new RegExp(`^› ${jobId}\\s+completed`, 'm').test(t), 240_000);
      const inv = await invariants(fleet.ds, jobId);
      expect(inv).toMatchObject({ succeeded: 60, cellsWithMoreThanOneSucceededAttempt: 0 });
      await waitFor('the resume audit row', async () => (await audits(jobId, 'resume')).length > 0, 30_000);
      expect((await audits(jobId, 'pause')).map((r) => r.status)).toEqual([200]);
      expect((await audits(jobId, 'resume')).map((r) => r.status)).toEqual([200]);
      await keys(name, 'q');
    } finally {
      fleet.sim.setFaults({ latencyMs: { min: 2, max: 20 } });
    }
  }, 600_000);
});
