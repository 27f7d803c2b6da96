import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository } from '@beacon/db';
import { legacyImportRows, parseLegacyDocument } from '@beacon/domain';
import { cliEnv, repoRoot, requireBuild, runCli } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec } from '../utils/fleet.js';
import type { Daemon } from '../utils/cli.js';

const run = promisify(execFile);
afterAll(closeAllFleets);

const INCIDENT = 'full-test-3regions-2questions-1759245237';
const socket = `beacon-tui-${process.pid}`;
const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

/** `beacon tui` in a real terminal (tmux), against `beacon serve` and the simulator. */
describe('beacon tui in a terminal', () => {
  let fleet: Fleet;
  let daemon: Daemon;
  let session = 0;
  /** Where each session's shell writes the TUI's exit status (tmux does not always report it for a dead pane). */
  const statusDir = mkdtempSync(path.join(os.tmpdir(), 'beacon-tui-status-'));

  beforeAll(async () => {
    requireBuild();
    fleet = await Fleet.create({ prefix: 'tui_e2e' });
    daemon = await fleet.startDaemon();
    const doc = parseLegacyDocument(JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/incident-2025-09-30.json'), 'utf8')));
    await new LegacyImportRepository(fleet.ds, classifyResponse).store(legacyImportRows(doc));
  });
  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined);
    await fleet?.close();
    rmSync(statusDir, { recursive: true, force: true });
  });

  /** Starts `beacon tui` in a new 100 × 30 tmux session; returns its name. */
  async function startTui(args: string[] = [], env: Record<string, string> = {}): Promise<string> {
    const name = `tui${++session}`;
    const vars = Object.entries({ CI: 'false', NO_COLOR: '1', TERM: 'xterm-256color', ...env }).map(([k, v]) => `${k}=${v}`);
    await tmux(
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '100',
      '-y',
      '30',
      'sh',
      '-c',
      'f=$1; shift; "$@"; echo $? > "$f"',
      'sh',
      path.join(statusDir, name),
      'env',
      ...vars,
      process.execPath,
      path.join(repoRoot, 'bin/beacon.js'),
      'tui',
      '--api',
      daemon.url,
      ...args,
    );
    await tmux('set-option', '-t', name, 'remain-on-exit', 'on');
    return name;
  }
  const capture = async (name: string, escapes = false) =>
    (await tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name)).stdout;
  const keys = (name: string, ...k: string[]) => tmux('send-keys', '-t', name, ...k);

  /** Waits until the pane shows what `check` wants; fails with the pane's text. */
  async function waitForPane(name: string, check: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await capture(name);
      if (check(text)) return text;
      if (Date.now() > deadline) throw new Error(`pane ${name} never showed what was expected; it shows:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until the TUI in the pane has exited; returns its exit status. */
  async function exitStatus(name: string, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let written = '';
      try {
        written = readFileSync(path.join(statusDir, name), 'utf8').trim();
      } catch {
        /* not exited yet */
      }
      if (written !== '') return Number(written);
      if (Date.now() > deadline) throw new Error(`beacon tui in ${name} did not exit; it shows:\n${await capture(name)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('shows a submitted job appear and complete, its cells on the timeline, and the changed words of a diff', async () => {
    const name = await startTui();
    await waitForPane(name, (t) => t.includes('[Jobs]') && t.includes(INCIDENT.slice(0, 20)));
    const job = await fleet.submit(jobSpec('tui-e2e', 2, ['llama3.2-1b', 'mistral-7b'], ['us-east', 'eu-west']));
    await waitForPane(name, (t) => /^› tui-e2e\s/m.test(t));
    let text = await waitForPane(name, (t) => /^› tui-e2e\s+completed\s+█{10}\s+8\/8\s+0\s+0\s+0\s*$/m.test(t));
    expect(text.split('\n').every((l) => l.length <= 100)).toBe(true);

    await keys(name, 'Enter');
    text = await waitForPane(name, (t) => t.includes('[Timeline]') && t.includes('lane 1/8'));
    const lanes = text.split('\n').filter((l) => /^[› ] e\d+ (us-east|eu-west) (llama3\.2-1b|mistral-7b) q[12] /.test(l));
    expect(lanes).toHaveLength(8);
    expect(lanes.every((l) => l.includes('█'))).toBe(true);
    expect(text).toContain(`${job.id} · completed`);

    // The first lane's natural pair is the same question and model in the other region: compared at once.
    await keys(name, 'd');
    text = await waitForPane(name, (t) => t.includes('system prompt (differs)'));
    expect(text).toMatch(/^a {2}e\d+ · eu-west · llama3\.2-1b · q1/m);
    expect(text).toMatch(/^b {2}e\d+ · us-east · llama3\.2-1b · q1/m);
    // The regions' system prompts differ in the region's name, word by word.
    expect(text).toMatch(/based in region \[-eu-\]-\[-west-\]\. +│ .*based in region \{\+us\+\}-\{\+east\+\}\./);
    // Every line of the pane is a line of the last frame: nothing left over from earlier ones.
    expect(text.split('\n').filter((l) => l.startsWith('comparing '))).toEqual([]);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^j\/k move .*[a-z]$/);
    // NO_COLOR: not one colour or style escape on the screen.
    expect(await capture(name, true)).not.toMatch(/\u001B\[[0-9;]*[1-9][0-9;]*m/);

    await keys(name, 'q');
    expect(await exitStatus(name)).toBe(0);
  });

  it('shows the incident: the 3 min 23 s gap, the duplicate cell, and 953 against 955', async () => {
    const name = await startTui(['--job', INCIDENT]);
    let text = await waitForPane(name, (t) => t.includes('gap 3 min 23 s') && t.includes('l955'));
    expect(text).toMatch(/^ {2}l953 us-east qwen2\.5-1\.5b \(batch\) +D/m);
    expect(text).toMatch(/^ {2}l955 us-east qwen2\.5-1\.5b \(batch\) +D/m);
    await keys(name, 'G');
    await waitForPane(name, (t) => t.includes('› l955'));
    await keys(name, 'k');
    await waitForPane(name, (t) => t.includes('› l953'));
    await keys(name, 'd');
    await waitForPane(name, (t) => t.includes('› duplicate l953 → l955'));
    await keys(name, 'Enter');
    text = await waitForPane(name, (t) => t.includes('system prompt (differs)') && t.includes('classification (differs)'));
    expect(text).toMatch(/^a {2}l953 .* answered$/m);
    expect(text).toMatch(/^b {2}l955 .* refused$/m);
    expect(text).toMatch(/You are a helpful.*│ You are a helpful\{\+, honest, and harmless/);
    expect(text).toMatch(/\[-answered-\] +│ \{\+refused\+\}/);

    // Follows a resize: everything is redrawn within the new 80 columns.
    await tmux('resize-window', '-t', name, '-x', '80', '-y', '24');
    text = await waitForPane(name, (t) => t.split('\n').some((l) => /^── system prompt \(differs\) ─+$/.test(l) && l.length === 80));
    expect(text.split('\n').every((l) => l.length <= 80)).toBe(true);
    await keys(name, 'q');
  });

  it('scrolls the timeline with the mouse wheel, finds lanes with / then n and N, and gives the mouse back on q', async () => {
    const name = await startTui(['--job', INCIDENT]);
    let text = await waitForPane(name, (t) => t.includes('lane 1/') && t.includes('l953'));
    const mouse = async () => (await tmux('display-message', '-p', '-t', name, '#{mouse_standard_flag}#{mouse_sgr_flag}')).stdout.trim();
    // Wheel reports asked for (1000) in SGR encoding (1006) while the TUI runs.
    expect(await mouse()).toBe('11');
    const total = Number(/lane 1\/(\d+)/.exec(text)?.[1]);
    expect(total).toBeGreaterThanOrEqual(4);
    // One wheel notch down, as the terminal reports it (button 65), moves three lanes; one up (64) moves back.
    await keys(name, '-l', '\u001B[<65;20;10M');
    await waitForPane(name, (t) => t.includes(`lane 4/${total}`));
    await keys(name, '-l', '\u001B[<64;20;10M');
    text = await waitForPane(name, (t) => t.includes(`lane 1/${total}`));
    // The report's characters never arrived as keys: still the timeline, no prompt, no other screen.
    expect(text).toContain('[Timeline]');

    // Every lane is on screen here: the matches counted from the pane's own lines.
    const lanes = text.split('\n').filter((l) => /^[› ] l\d+ /.test(l));
    expect(lanes).toHaveLength(total);
    const euWest = lanes.map((l, i) => (l.includes(' eu-west ') ? i : -1)).filter((i) => i >= 0);
    expect(euWest.length).toBeGreaterThanOrEqual(2);
    await keys(name, '-l', '/eu-west\r');
    text = await waitForPane(name, (t) => t.includes(`match 1/${euWest.length} for "eu-west"`));
    expect(text).toContain(`lane ${euWest[0]! + 1}/${total}`);
    expect(text).toMatch(/^› l\d+ eu-west /m);
    await keys(name, 'n');
    text = await waitForPane(name, (t) => t.includes(`match 2/${euWest.length} for "eu-west"`));
    expect(text).toContain(`lane ${euWest[1]! + 1}/${total}`);
    expect(text).toMatch(/^› l\d+ eu-west /m);
    await keys(name, 'N');
    text = await waitForPane(name, (t) => t.includes(`match 1/${euWest.length} for "eu-west"`));
    expect(text).toContain(`lane ${euWest[0]! + 1}/${total}`);
    // At 80 × 24 the search stays in view, and so do help and quit.
    await tmux('resize-window', '-t', name, '-x', '80', '-y', '24');
    await keys(name, 'j');
    text = await waitForPane(name, (t) => t.trimEnd().split('\n').at(-1)!.startsWith('/eu-west'));
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^\/eu-west .*\? help +q quit$/);

    await keys(name, 'q');
    expect(await exitStatus(name)).toBe(0);
    expect(await mouse()).toBe('00');
  });

  it('gives the mouse back when killed with SIGINT: exit 130, mouse reports off', async () => {
    const name = await startTui(['--job', INCIDENT]);
    await waitForPane(name, (t) => t.includes('lane 1/'));
    const mouse = async () => (await tmux('display-message', '-p', '-t', name, '#{mouse_standard_flag}#{mouse_sgr_flag}')).stdout.trim();
    expect(await mouse()).toBe('11');
    const shell = (await tmux('display-message', '-p', '-t', name, '#{pane_pid}')).stdout.trim();
    const pid = Number((await run('pgrep', ['-P', shell], { encoding: 'utf8' })).stdout.trim().split('\n')[0]);
    process.kill(pid, 'SIGINT');
    expect(await exitStatus(name)).toBe(130);
    expect(await mouse()).toBe('00');
  });

  it('asks for no mouse reports with BEACON_TUI_MOUSE=0 or --no-mouse', async () => {
    for (const [args, env] of [
      [[], { BEACON_TUI_MOUSE: '0' }],
      [['--no-mouse'], {}],
    ] as const) {
      const name = await startTui(['--job', INCIDENT, ...args], { ...env });
      await waitForPane(name, (t) => t.includes('lane 1/'));
      expect((await tmux('display-message', '-p', '-t', name, '#{mouse_standard_flag}#{mouse_sgr_flag}')).stdout.trim()).toBe('00');
      await keys(name, 'q');
      expect(await exitStatus(name)).toBe(0);
    }
  });

  it('regression: keys sent in one write each count (jj moves twice; a filter, backspaces and enter in one write)', async () => {
    const name = await startTui(['--job', INCIDENT]);
    await waitForPane(name, (t) => t.includes('lane 1/') && t.includes('l953'));
    // `send-keys -l` writes its argument to the terminal in one write, as a fast typist or a paste does.
    await keys(name, '-l', 'jj');
    await waitForPane(name, (t) => t.includes('lane 3/'));
    await keys(name, '-l', '/region=eu-westxx\u007F\u007F\r');
    const text = await waitForPane(name, (t) => t.includes('lane 1/3 ') && !t.includes('lanes (region='));
    const lanes = text.split('\n').filter((l) => /^[› ] l\d+ /.test(l));
    expect(lanes).toHaveLength(3);
    expect(lanes.every((l) => l.includes('eu-west'))).toBe(true);
    await keys(name, 'q');
    expect(await exitStatus(name)).toBe(0);
  });

  it('regression: says when the daemon is gone and when it is back; the jobs list stays, marked stale; the tail marks the gap', async () => {
    const port = Number(new URL(daemon.url).port) + 1;
    let own = await fleet.startDaemon({}, port).catch(() => null);
    // The next port may be taken: then any free one (the restart below reuses whichever it got).
    own ??= await fleet.startDaemon();
    const ownPort = Number(new URL(own.url).port);
    const name = `tui${++session}`;
    const vars = ['CI=false', 'NO_COLOR=1', 'TERM=xterm-256color'];
    await tmux(
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '100',
      '-y',
      '30',
      'env',
      ...vars,
      process.execPath,
      path.join(repoRoot, 'bin/beacon.js'),
      'tui',
      '--api',
      own.url,
    );
    await waitForPane(name, (t) => t.includes('[Jobs]') && t.includes(INCIDENT.slice(0, 20)));
    await keys(name, 'Tab');
    // Connected as soon as the stream is up, with no event yet.
    await waitForPane(name, (t) => t.includes('[Live]') && t.includes('● connected'));

    await own.stop('SIGKILL');
    let text = await waitForPane(name, (t) => /(reconnecting|disconnected) since \d\d:\d\d:\d\d/.test(t), 15_000);
    expect(text).not.toContain('● connected');
    await keys(name, 'BTab');
    text = await waitForPane(name, (t) => t.includes('[Jobs]') && /STALE since \d\d:\d\d:\d\d/.test(t), 15_000);
    // The last list is still there.
    expect(text).toContain(INCIDENT.slice(0, 20));

    own = await fleet.startDaemon({}, ownPort);
    text = await waitForPane(name, (t) => t.includes('[Jobs]') && !t.includes('STALE'), 60_000);
    expect(text).toContain(INCIDENT.slice(0, 20));
    await keys(name, 'Tab');
    text = await waitForPane(name, (t) => t.includes('● connected') && t.includes('── gap: stream lost'), 60_000);
    expect(text).toMatch(/gap: stream lost \d\d:\d\d:\d\d\.\d{3} → back \d\d:\d\d:\d\d\.\d{3}/);
    await keys(name, 'q');
    await own.stop('SIGKILL');
  });

  it('refuses to start without a terminal: exit 2 and a clear message', async () => {
    const r = await runCli(['tui', '--api', daemon.url], { env: cliEnv({}) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs an interactive terminal');
  });
});
