import { spawn } from 'node:child_process';
import { closeSync, openSync, promises as fs } from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import type { RunAs } from './embedded.types.js';
import { isProcessAlive, sleep } from './process-info.util.js';

/** Credentials of the cluster's superuser. */
export interface Credentials {
  /** User name. */
  user: string;
  /** Password. */
  password: string;
}

/** Raised by {@link waitForServer} when the server process goes away before accepting connections. */
export class ServerExitedError extends Error {}

/** Raised by {@link waitForServer} when the server keeps refusing connections until the deadline. */
export class ServerTimeoutError extends Error {}

/** Options of {@link waitForServer}. */
export interface WaitOptions extends Credentials {
  /** Port on 127.0.0.1. */
  port: number;
  /** Whether the server process still exists. */
  isRunning: () => boolean;
  /** Give up after this many ms. */
  timeoutMs: number;
}

/** Options of {@link startPostmaster}. */
export interface StartOptions extends Credentials {
  /** The `postgres` program. */
  postgres: string;
  /** Real path of the cluster directory. */
  dataDir: string;
  /** File receiving the server's output. */
  logFile: string;
  /** OS identity to run as, see `resolveRunAs`. */
  who: RunAs;
  /** Port to try first (the previous run's), when free. */
  preferredPort: number | null;
  /** Readiness timeout in ms. */
  timeoutMs: number;
}

const AUTH_FAILURES = new Set(['28P01', '28000']);
const PORT_IN_USE = /could not bind|address already in use|could not create any TCP\/IP sockets/i;
const SHMEM_IN_USE = /pre-existing shared memory block .* is still in use/i;
const MAX_LOG_BYTES = 10 * 1024 * 1024;

/** Opens a connection to `url` with a short connect timeout; errors after connecting are swallowed. */
export async function connect(url: string, connectTimeoutMs = 5000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The URL of `database` on the embedded server at `port`. */
export function serverUrl(creds: Credentials, port: number, database: string): string {
  const enc = encodeURIComponent;
  return `postgres://${enc(creds.user)}:${enc(creds.password)}@127.0.0.1:${port}/${enc(database)}`;
}

/** Polls (every ~100 ms) until the server accepts a connection with `opts`' credentials. */
export async function waitForServer(opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    if (!opts.isRunning()) throw new ServerExitedError('the server process exited');
    try {
      const client = await connect(serverUrl(opts, opts.port, 'postgres'), 2000);
      await client.end().catch(() => undefined);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (AUTH_FAILURES.has(code)) {
        throw new Error(`the embedded server on port ${opts.port} rejected the credentials in server.json: ${(err as Error).message}`);
      }
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new ServerTimeoutError(
        `not accepting connections on 127.0.0.1:${opts.port} after ${Math.round(opts.timeoutMs / 1000)} s (${lastError})`,
      );
    }
    await sleep(100);
  }
}

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** A free TCP port on 127.0.0.1, `preferred` when it is free. */
export async function pickPort(preferred: number | null): Promise<number> {
  if (preferred !== null && preferred > 0) {
    const port = await listenOnce(preferred);
    if (port !== null) return port;
  }
  const port = await listenOnce(0);
  if (port === null) throw new Error('could not find a free TCP port on 127.0.0.1');
  return port;
}

/** The last `lines` lines of `text`. */
export function lastLines(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await fs.open(file, 'r').catch(() => null);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const start = Math.max(offset, size - 64 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

async function rotateLog(logFile: string): Promise<number> {
  const stat = await fs.stat(logFile).catch(() => null);
  if (!stat) return 0;
  if (stat.size < MAX_LOG_BYTES) return stat.size;
  await fs.rename(logFile, `${logFile}.1`);
  return 0;
}

interface SpawnedServer {
  pid: number;
  isRunning: () => boolean;
  spawnError: () => string;
  exitStatus: () => string;
  exited: Promise<void>;
}

function spawnPostmaster(opts: StartOptions, port: number): SpawnedServer {
  const fd = openSync(opts.logFile, 'a', 0o600);
  let running = true;
  let spawnError = '';
  let exitStatus = 'unknown status';
  try {
    const child = spawn(
      opts.postgres,
      [
        '-D',
        opts.dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      {
        cwd: opts.dataDir,
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        ...(opts.who ?? {}),
      },
    );
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        running = false;
        exitStatus = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
    });
    child.once('error', (err) => {
      running = false;
      spawnError = `could not run ${opts.postgres}: ${err.message}\n`;
    });
    child.unref();
    const pid = child.pid ?? -1;
    return { pid, isRunning: () => running && isProcessAlive(pid), spawnError: () => spawnError, exitStatus: () => exitStatus, exited };
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts a postmaster for `opts.dataDir` detached from this process (own session, output to the
 * log file), so that a Ctrl-C or `kill -9` of this process leaves it running for the next Beacon
 * command to adopt. Retries with another port when the chosen one was taken meanwhile, and waits
 * while leftover processes of a crashed server still hold its shared memory. Rejects with the
 * server's last log lines when it exits during startup.
 */
export async function startPostmaster(opts: StartOptions): Promise<{ pid: number; port: number }> {
  const deadline = Date.now() + opts.timeoutMs;
  let preferred = opts.preferredPort;
  for (let attempt = 1; ; attempt += 1) {
    const port = await pickPort(preferred);
    const offset = await rotateLog(opts.logFile);
    const server = spawnPostmaster(opts, port);
    try {
      await waitForServer({ ...opts, port, isRunning: server.isRunning, timeoutMs: Math.max(1000, deadline - Date.now()) });
      return { pid: server.pid, port };
    } catch (err) {
      if (err instanceof ServerExitedError) await Promise.race([server.exited, sleep(1000)]);
      const log = server.spawnError() + (await readFrom(opts.logFile, offset));
      if (err instanceof ServerExitedError) {
        if (PORT_IN_USE.test(log) && attempt < 5) {
          preferred = null;
          continue;
        }
        if (SHMEM_IN_USE.test(log) && Date.now() < deadline) {
          await sleep(250);
          continue;
        }
        throw new Error(
          `embedded PostgreSQL exited during startup (${server.exitStatus()}); last lines of ${opts.logFile}:\n${lastLines(log)}`,
        );
      }
      if (err instanceof ServerTimeoutError) {
        throw new Error(
          `embedded PostgreSQL (pid ${server.pid}) is ${err.message}; it may still be recovering, see ${opts.logFile}:\n${lastLines(log)}`,
        );
      }
      throw err;
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Stops the postmaster `pid`: SIGINT (fast shutdown: disconnects clients, checkpoints) and up to
 * `graceMs` to finish, then SIGQUIT (immediate shutdown; crash recovery on next start), then
 * SIGKILL.
 */
export async function stopPostmaster(pid: number, graceMs = 30_000): Promise<void> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', graceMs],
    ['SIGQUIT', 10_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, waitMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await waitForExit(pid, waitMs)) return;
  }
  throw new Error(`embedded PostgreSQL (pid ${pid}) did not exit`);
}
