import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AcquireOptions, DatabaseHandle, RunAs, ServerState } from './embedded.types.js';
import { withFileLock } from './file-lock.util.js';
import { displayPath, prepareCluster } from './cluster.util.js';
import { postgresBinaries } from './postgres-binaries.util.js';
import { connect, ServerExitedError, serverUrl, startPostmaster, stopPostmaster, waitForServer } from './postgres-server.util.js';
import { resolveRunAs } from './postgres-user.util.js';
import { idleWatch, watchDatabase, type DatabaseWatch, type WatchOptions } from './watch-database.util.js';
import { isPostgresProcess, isProcessAlive } from './process-info.util.js';
import type { EmbeddedLayout, PostmasterInfo } from './server-state.util.js';
import { countLiveClients, layoutFor, readPostmasterPid, readServerState, registerClient, writeServerState } from './server-state.util.js';

const READY_TIMEOUT_MS = 60_000;

interface Session {
  dataDir: string;
  state: ServerState;
  port: number;
  clientFile: string;
}

async function findRunningServer(dataDir: string, state: ServerState, log: (line: string) => void): Promise<PostmasterInfo | null> {
  const info = await readPostmasterPid(dataDir);
  if (info === null) return null;
  if (Number.isInteger(info.pid) && Number.isInteger(info.port) && isPostgresProcess(info.pid)) {
    try {
      await waitForServer({ ...state, port: info.port, isRunning: () => isProcessAlive(info.pid), timeoutMs: READY_TIMEOUT_MS });
      return info;
    } catch (err) {
      if (!(err instanceof ServerExitedError)) {
        throw new Error(`the embedded PostgreSQL of ${dataDir} (pid ${info.pid}) is running but ${(err as Error).message}`);
      }
    }
  }
  const again = await readPostmasterPid(dataDir);
  if (again && again.pid === info.pid) {
    log(`removing stale ${path.join(dataDir, 'postmaster.pid')} (pid ${info.pid} is not a running postgres)`);
    await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  } else if (again) {
    return findRunningServer(dataDir, state, log);
  }
  return null;
}

/** A server found running or just started for a cluster. */
interface RunningServer {
  dataDir: string;
  state: ServerState;
  port: number;
  pid: number;
  /** True when this call started it (false: adopted one already running). */
  started: boolean;
}

/**
 * The one place that decides between adopting the cluster's running server and starting one: used when a process
 * first acquires the database and when a daemon finds its server gone (see `watchDatabase`). A new server tries
 * `preferredPort` first (default: the port in server.json), so that connection URLs already handed out stay valid.
 * Must be called while holding the layout's lock.
 */
export async function findOrStartServer(
  layout: EmbeddedLayout,
  who: RunAs,
  log: (line: string) => void,
  preferredPort?: number,
): Promise<RunningServer> {
  const binaries = await postgresBinaries(who);
  const cluster = await prepareCluster(layout, binaries, who, log);
  const { dataDir } = cluster;
  let state = cluster.state;
  const running = await findRunningServer(dataDir, state, log);
  if (running) {
    log(`using the embedded PostgreSQL already running on 127.0.0.1:${running.port} (pid ${running.pid})`);
    return { dataDir, state, port: running.port, pid: running.pid, started: false };
  }
  const started = Date.now();
  log(`starting embedded PostgreSQL in ${displayPath(layout.clusterPath)}…`);
  const server = await startPostmaster({
    ...state,
    postgres: binaries.postgres,
    dataDir,
    logFile: layout.logFile,
    who,
    preferredPort: preferredPort ?? state.port,
    timeoutMs: READY_TIMEOUT_MS,
  });
  state = { ...state, port: server.port, pid: server.pid, startedBy: process.pid, startedAt: new Date().toISOString() };
  await writeServerState(layout, state);
  log(`embedded PostgreSQL ready on 127.0.0.1:${server.port} (pid ${server.pid}, ${Date.now() - started} ms)`);
  return { dataDir, state, port: server.port, pid: server.pid, started: true };
}

async function joinOrStart(layout: EmbeddedLayout, who: RunAs, log: (line: string) => void): Promise<Session> {
  const { dataDir, state, port } = await findOrStartServer(layout, who, log);
  const clientFile = await registerClient(layout);
  return { dataDir, state, port, clientFile };
}

async function stopIfUnused(layout: EmbeddedLayout, session: Session, log: (line: string) => void): Promise<void> {
  await fs.rm(session.clientFile, { force: true });
  if ((await countLiveClients(layout)) > 0) return;
  const info = await readPostmasterPid(session.dataDir);
  if (info === null || !isPostgresProcess(info.pid)) return;
  log('stopping embedded PostgreSQL (no other Beacon process uses it)…');
  await stopPostmaster(info.pid);
  const state = await readServerState(layout);
  if (state) await writeServerState(layout, { ...state, pid: null });
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  if (database === 'postgres') return;
  const client = await connect(adminUrl);
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04' && err.code !== '23505') throw err;
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Provides the database Beacon works with.
 *
 * With `DATABASE_URL` set (in `opts.env`), returns it unchanged (`embedded: false`; nothing is
 * created and `release()` does nothing). Otherwise uses the embedded PostgreSQL of
 * `opts.baseDir` (default `<cwd>/.beacon`): joins the server another process already runs there
 * (including one orphaned by a `kill -9`), or initialises the cluster if needed and starts a
 * server detached from this process. Every process in that directory ends up on the same server:
 * inspecting, starting and registering happen under a cross-process lock on `<baseDir>/lock`.
 * A stale `postmaster.pid` (crash, reboot, reused pid) is removed before starting. The
 * `opts.database` database (default `beacon`) is created when missing.
 *
 * When this process runs as root, initdb and postgres run as the `postgres` OS user (created if
 * missing). If that user cannot traverse every ancestor of the base directory (e.g. it is under
 * `/root`, mode 700), no permissions are changed: the cluster is placed at
 * `/var/lib/beacon/<first 16 hex of sha256(realpath(baseDir))>/pg` and `<baseDir>/pg` is a symlink
 * to it; `dataDir` and `server.json` give the real path.
 *
 * Long-lived processes (the daemon) call `watch()` to have the server brought back when it goes away.
 *
 * Callers must call `release()` on shutdown; a process that dies without it merely leaves a
 * client file that later processes recognise as dead. A failed `release()` may be retried.
 */
export async function acquireDatabase(opts: AcquireOptions = {}): Promise<DatabaseHandle> {
  const external = (opts.env ?? process.env).DATABASE_URL?.trim();
  if (external) return { url: external, embedded: false, dataDir: null, release: () => Promise.resolve(), watch: () => idleWatch() };
  const log = opts.log ?? (() => undefined);
  const database = opts.database ?? 'beacon';
  const requested = path.resolve(opts.baseDir ?? path.join(process.cwd(), '.beacon'));
  await fs.mkdir(requested, { recursive: true });
  const layout = layoutFor(await fs.realpath(requested));
  const who = await resolveRunAs();
  const session = await withFileLock(layout.lockFile, () => joinOrStart(layout, who, log));
  let releasing: Promise<void> | null = null;
  const release = (): Promise<void> => {
    releasing ??= withFileLock(layout.lockFile, () => stopIfUnused(layout, session, log)).catch((err: unknown) => {
      releasing = null;
      throw err;
    });
    return releasing;
  };
  try {
    await ensureDatabase(serverUrl(session.state, session.port, 'postgres'), database);
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
  // One watch per handle: a second call returns the running one (two loops would race to restart the same server).
  let current: DatabaseWatch | null = null;
  const watch = (watchOpts: WatchOptions = {}): DatabaseWatch => {
    if (current && current.state !== 'stopped') return current;
    current = watchDatabase(
      {
        layout,
        who,
        dataDir: session.dataDir,
        port: session.port,
        findOrStart: (line, port) => findOrStartServer(layout, who, line, port),
      },
      { log, ...watchOpts },
    );
    return current;
  };
  return { url: serverUrl(session.state, session.port, database), embedded: true, dataDir: session.dataDir, release, watch };
}
