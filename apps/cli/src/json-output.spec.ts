import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { buildProgram, run } from './program.js';
import { commandPath } from './help-examples.js';

/**
 * The script interface of every command, walked from the program: `--json` where there is output to script, one JSON
 * document on stdout (a page `{items, nextCursor}` for a listing, one object otherwise, `{"error": {...}}` for a
 * failure), and `--wide` on every command that prints a table.
 */

/** Commands whose output is not a result to script: a daemon, a server, the TUI, a shell script, a rendered report. */
const NO_JSON = ['serve', 'simulate', 'tui', 'completion', 'report'];
/** Listings: `--json` prints `{items, nextCursor}`. */
const LISTINGS = ['jobs', 'executions', 'controls', 'daemons', 'schedule list', 'notify log'];
/** Listings the API pages: `--cursor` gives the next page. */
const PAGED = ['jobs', 'executions', 'notify log'];
/** Commands that print a table (formatTable): each takes `--wide`. */
const TABLES = [
  'jobs',
  'executions',
  'reconcile',
  'controls',
  'daemons',
  'compare',
  'trend',
  'classify',
  'schedule list',
  'schedule show',
  'notify test',
  'notify list',
  'notify log',
];

/** Every command that runs (has no subcommands of its own), by path. */
function leaves(): Map<string, Command> {
  const out = new Map<string, Command>();
  const visit = (cmd: Command) => {
    if (cmd.name() === 'help') return;
    if (cmd.commands.length === 0) out.set(commandPath(cmd), cmd);
    cmd.commands.forEach(visit);
  };
  buildProgram('0.0.0').commands.forEach(visit);
  return out;
}

const has = (cmd: Command, flag: string) => cmd.options.some((o) => o.long === flag);

/** Runs `beacon ARGS` in this process, capturing what it writes. */
async function beacon(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = (s: string) => ((stdout += s), true);
  process.stderr.write = (s: string) => ((stderr += s), true);
  try {
    const code = await run(['node', 'beacon', ...args], '0.0.0');
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const savedApiUrl = process.env.BEACON_API_URL;
afterEach(() => {
  if (savedApiUrl === undefined) delete process.env.BEACON_API_URL;
  else process.env.BEACON_API_URL = savedApiUrl;
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the script interface of every command', () => {
  it('every command with output to script takes --json', () => {
    const missing = [...leaves()].filter(([path, cmd]) => !NO_JSON.includes(path) && !has(cmd, '--json')).map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it('listings say they print {items, nextCursor}; the paged ones take --cursor', () => {
    const all = leaves();
    for (const path of LISTINGS)
      expect([path, all.get(path)?.options.find((o) => o.long === '--json')?.description]).toEqual([
        path,
        expect.stringContaining('{items, nextCursor}'),
      ]);
    const cursors = [...all].filter(([, cmd]) => has(cmd, '--cursor')).map(([path]) => path);
    expect(cursors.sort()).toEqual([...PAGED].sort());
  });

  it('every command that prints a table, and only those, takes --wide', () => {
    const wide = [...leaves()].filter(([, cmd]) => has(cmd, '--wide')).map(([path]) => path);
    expect(wide.sort()).toEqual([...TABLES].sort());
  });

  it('with --json, a command line refused by the parser prints one JSON error object (usage, exit 2) on stdout', async () => {
    for (const [path, cmd] of leaves()) {
      if (!has(cmd, '--json')) continue;
      const r = await beacon(...path.split(' '), '--json', '--no-such-flag');
      expect([path, r.code]).toEqual([path, 2]);
      expect([path, JSON.parse(r.stdout)]).toEqual([
        path,
        { error: { code: 'usage', exitCode: 2, message: expect.any(String), problems: [] } },
      ]);
      expect(r.stderr).toMatch(/^error: /);
    }
  });

  it('without --json, a failure prints nothing on stdout', async () => {
    const r = await beacon('jobs', '--no-such-flag');
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', expect.stringMatching(/unknown option '--no-such-flag'/)]);
  });

  it('with --json, a failure in the command prints its message and exit code, as on stderr', async () => {
    const limit = await beacon('jobs', '--limit', '0', '--json');
    expect(limit.code).toBe(2);
    const error = (JSON.parse(limit.stdout) as { error: { message: string } }).error;
    expect(error).toEqual({ code: 'usage', exitCode: 2, message: expect.stringMatching(/limit/), problems: [] });
    expect(limit.stderr).toBe(`error: ${error.message}\n`);

    const scheme = await beacon('--api', 'localhost:8787', 'job', 'nightly-42', '--json');
    expect([scheme.code, JSON.parse(scheme.stdout)]).toEqual([
      2,
      { error: { code: 'usage', exitCode: 2, message: expect.stringMatching(/--api: .* has no scheme/), problems: [] } },
    ]);

    const port = await closedPort();
    const unreachable = await beacon('--api', `http://127.0.0.1:${port}`, 'executions', '--job', 'nightly-42', '--json');
    expect([unreachable.code, JSON.parse(unreachable.stdout)]).toEqual([
      6,
      { error: { code: 'unreachable', exitCode: 6, message: expect.stringContaining(`127.0.0.1:${port}`), problems: [] } },
    ]);
  });

  it('a secret quoted by a failure is hidden in the JSON error as on stderr', async () => {
    const token = 'tok-9f3a61c0d2e84b7a';
    const saved = process.env.BEACON_TOKEN;
    process.env.BEACON_TOKEN = token;
    try {
      const r = await beacon('--api', `localhost:${token}`, 'jobs', '--json');
      expect(r.code).toBe(2);
      expect((JSON.parse(r.stdout) as { error: { message: string } }).error.message).toMatch(/has no scheme/);
      expect([r.stdout.includes(token), r.stderr.includes(token)]).toEqual([false, false]);
    } finally {
      if (saved === undefined) delete process.env.BEACON_TOKEN;
      else process.env.BEACON_TOKEN = saved;
    }
  });

  it('--json given to a command that has none is refused as usage, in JSON', async () => {
    const r = await beacon('report', 'nightly-42', '--json');
    expect([r.code, JSON.parse(r.stdout)]).toEqual([
      2,
      { error: { code: 'usage', exitCode: 2, message: "unknown option '--json'", problems: [] } },
    ]);
  });
});
