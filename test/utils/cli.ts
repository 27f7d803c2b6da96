import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runProcess, type ProcessResult } from './process.js';

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(repoRoot, 'bin', 'beacon.js');

/** Fails with a clear message when the CLI has not been built (npm test builds it first). */
export function requireBuild(): void {
  if (!existsSync(path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests');
  }
}

/** The environment for a CLI child: this process's, minus anything that would point it at another database. */
export function cliEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', BEACON_CONFIG: undefined, DATABASE_URL: undefined, FORCE_COLOR: '0' };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `beacon …` to completion. */
export function runCli(args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; input?: string }): Promise<ProcessResult> {
  return runProcess(process.execPath, [bin, ...args], { ...opts, cwd: opts.cwd ?? repoRoot });
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A `beacon serve` child process. */
export interface Daemon {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `beacon serve` on `port` (default: a free one) and waits until /health/ready answers 200. */
export async function startDaemon(opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; port?: number }): Promise<Daemon> {
  const port = opts.port ?? (await freePort());
  const proc = spawn(process.execPath, [bin, 'serve', '--port', String(port)], {
    env: opts.env,
    cwd: opts.cwd ?? repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`beacon serve exited with ${proc.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`beacon serve not ready after ${opts.timeoutMs ?? 90_000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    proc,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
