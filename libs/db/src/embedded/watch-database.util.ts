import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunAs } from './embedded.types.js';
import { withFileLock } from './file-lock.util.js';
import { isPostgresProcess, isProcessAlive } from './process-info.util.js';
import type { EmbeddedLayout } from './server-state.util.js';
import { readPostmasterPid } from './server-state.util.js';

/** Options of a {@link DatabaseWatch}. */
export interface WatchOptions {
  /** How often the postmaster is looked at, in ms; default 500. */
  intervalMs?: number;
  /** First wait after a failed restart, in ms (doubling up to `maxBackoffMs`); default 1000. */
  backoffMs?: number;
  /** Longest wait between restart attempts, in ms; default 10000. */
  maxBackoffMs?: number;
  /** Receives human-readable lines: loss, restart, adoption, failures. */
  log?: (line: string) => void;
  /**
   * Called once, with the reason, when the server came back on another port than the one this process connects to
   * (its old port was taken while it was down): the process's connection pool can never reach it again, and the watch
   * ends in state `lost`. A daemon should exit non-zero so its supervisor restarts it (the new process adopts the
   * server on its new port); staying up would leave it live but unable to do anything.
   */
  onLost?: (reason: string) => void;
}

/** Keeps the embedded server of a long-lived process running; see {@link watchDatabase}. */
export interface DatabaseWatch {
  /**
   * `watching`: the server runs; `restarting`: it went away and is being brought back; `lost`: it is back on another
   * port, which this process's URL does not name (see {@link WatchOptions.onLost}); `stopped`.
   */
  readonly state: WatchState;
  /** Why the watch is `lost`, else null. */
  readonly lostReason: string | null;
  /** Times the server was found gone and brought back (started or adopted). */
  readonly recoveries: number;
  /** Stops watching; waits for a restart under way to finish. Idempotent. */
  stop(): Promise<void>;
}

/** States of the watch loop. */
export type WatchState = 'watching' | 'restarting' | 'lost' | 'stopped';

/** What the watch needs from the handle that acquired the server. */
export interface WatchTarget {
  layout: EmbeddedLayout;
  who: RunAs;
  dataDir: string;
  /** The port this process's connection URL names. */
  port: number;
  /** Adopts the running server or starts one (under the layout's lock), preferring `port`; see `findOrStartServer`. */
  findOrStart(log: (line: string) => void, port: number): Promise<{ port: number; pid: number; started: boolean }>;
}

/** A watch for a database this process cannot restart (`DATABASE_URL`): it never does anything. */
export function idleWatch(): DatabaseWatch {
  let state: WatchState = 'watching';
  return {
    get state() {
      return state;
    },
    recoveries: 0,
    lostReason: null,
    stop() {
      state = 'stopped';
      return Promise.resolve();
    },
  };
}

/**
 * Watches the postmaster of an embedded cluster and brings it back when it goes away (`kill -9`, a crash, an OOM
 * kill), so that a daemon heals without anyone running another command. Every `intervalMs` it reads
 * `postmaster.pid`; when the process named there is not a live postgres, it takes the base directory's lock and
 * runs the same adopt-or-start step every Beacon process uses when it acquires the database: another process may
 * have restarted the server meanwhile (then it is adopted), else this process starts one on the same port, so the
 * connection pool's URL stays valid. A paused server (SIGSTOP) is alive and left alone.
 *
 * State machine: `watching` → (postmaster gone) → `restarting` → (adopted or started) → `watching`; a failed restart
 * stays `restarting` and retries after a doubling backoff; a server back on another port → `lost` (final: nothing
 * this process can do reaches it); `stop()` → `stopped` from any state.
 */
export function watchDatabase(target: WatchTarget, opts: WatchOptions = {}): DatabaseWatch {
  const intervalMs = opts.intervalMs ?? 500;
  const firstBackoff = opts.backoffMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 10_000;
  const log = opts.log ?? (() => undefined);
  let state: WatchState = 'watching';
  let lostReason: string | null = null;
  let recoveries = 0;
  let knownPid: number | null = null;
  let backoff = firstBackoff;
  let timer: NodeJS.Timeout | undefined;
  let step: Promise<void> = Promise.resolve();

  const schedule = (ms: number): void => {
    if (state === 'stopped' || state === 'lost') return;
    timer = setTimeout(() => {
      step = tick();
    }, ms);
    timer.unref();
  };

  /** One look at the postmaster; in `restarting`, one attempt to bring it back. */
  const tick = async (): Promise<void> => {
    if (state === 'stopped' || state === 'lost') return;
    if (state === 'watching') {
      const info = await readPostmasterPid(target.dataDir);
      if (info !== null && (info.pid === knownPid ? stillRunning(info.pid) : isPostgresProcess(info.pid))) {
        if (knownPid !== null && info.pid !== knownPid) {
          // Restarted by someone else (another Beacon command, an operator): nothing to do but say so.
          log(`embedded PostgreSQL was restarted by another process (pid ${info.pid}, port ${info.port})`);
          if (moved(info.port)) return;
        }
        knownPid = info.pid;
        schedule(intervalMs);
        return;
      }
      log(`embedded PostgreSQL${knownPid ? ` (pid ${knownPid})` : ''} is gone; restarting it…`);
      state = 'restarting';
    }
    const began = Date.now();
    try {
      // A cluster deleted under a running process is not re-created here: a fresh one would have other credentials
      // and none of the data this process works on.
      await fs.access(path.join(target.dataDir, 'PG_VERSION')).catch(() => {
        throw new Error(`${target.dataDir} no longer holds a PostgreSQL cluster; restart this process to start over`);
      });
      const server = await withFileLock(target.layout.lockFile, () => target.findOrStart(log, target.port));
      if ((state as WatchState) === 'stopped') return;
      knownPid = server.pid;
      recoveries += 1;
      backoff = firstBackoff;
      state = 'watching';
      log(
        `embedded PostgreSQL ${server.started ? 'restarted' : 'adopted after a restart by another process'} ` +
          `on 127.0.0.1:${server.port} (pid ${server.pid}) ${Date.now() - began} ms after it was found gone`,
      );
      if (moved(server.port)) return;
      schedule(intervalMs);
    } catch (err) {
      log(
        `embedded PostgreSQL could not be restarted: ${err instanceof Error ? err.message : String(err)}; retrying in ${Math.round(backoff / 1000)} s`,
      );
      schedule(backoff);
      backoff = Math.min(maxBackoff, backoff * 2);
    }
  };

  /** True (and the watch `lost`, its owner told) when the server now listens on a port this process does not use. */
  const moved = (port: number): boolean => {
    if (port === target.port) return false;
    state = 'lost';
    lostReason =
      `embedded PostgreSQL now listens on port ${port}, but this process connects to port ${target.port} ` +
      '(the old port was taken while it was down): restart this process to reconnect';
    log(lostReason);
    opts.onLost?.(lostReason);
    return true;
  };

  schedule(0);
  return {
    get state() {
      return state;
    },
    get recoveries() {
      return recoveries;
    },
    get lostReason() {
      return lostReason;
    },
    async stop() {
      state = 'stopped';
      clearTimeout(timer);
      await step.catch(() => undefined);
    },
  };
}

/**
 * Whether a postmaster already identified is still there, cheaply enough to ask twice a second: on Linux from
 * `/proc` (zombies count as gone); elsewhere by signal 0 alone, since the full check runs `ps` on the event loop.
 */
function stillRunning(pid: number): boolean {
  if (process.platform === 'linux') return isProcessAlive(pid);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
