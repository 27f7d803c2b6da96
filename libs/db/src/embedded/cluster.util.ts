import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunAs, ServerState } from './embedded.types.js';
import type { PostgresBinaries } from './postgres-binaries.util.js';
import { SHARED_STATE_ROOT } from './postgres-binaries.util.js';
import { stopPostmaster } from './postgres-server.util.js';
import { canTraverse, chownTree } from './postgres-user.util.js';
import { isPostgresProcess, isProcessAlive, pidsWithArgument, sleep } from './process-info.util.js';
import type { EmbeddedLayout } from './server-state.util.js';
import { readPostmasterPid, readServerState, writeServerState } from './server-state.util.js';

/** The superuser initdb creates. */
export const SUPERUSER = 'beacon';

/** A cluster ready to be started, with the credentials to reach it. */
export interface PreparedCluster {
  /** Real path of the cluster directory. */
  dataDir: string;
  /** Contents of `server.json`. */
  state: ServerState;
  /** Whether initdb ran just now. */
  created: boolean;
}

/** `file` relative to the working directory when it lies below it, else as is. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

async function exists(file: string): Promise<boolean> {
  return (await fs.lstat(file).catch(() => null)) !== null;
}

function runInitdb(initdb: string, args: string[], cwd: string, who: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(initdb, args, { cwd, env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, ...(who ?? {}) }, (err, stdout, stderr) => {
      if (err) reject(new Error(`initdb failed: ${err.message}\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-20).join('\n')}`));
      else resolve();
    });
  });
}

/**
 * Where a new cluster for `layout` goes. Normally `<baseDir>/pg`. When PostgreSQL has to run as
 * the `postgres` OS user (Beacon runs as root) and that user cannot traverse every ancestor of
 * the base directory (e.g. it lies under `/root`, mode 700), the user's directories are left
 * alone: the cluster goes to `/var/lib/beacon/<first 16 hex of sha256(realpath(baseDir))>/pg`,
 * owned by `postgres`, and `<baseDir>/pg` becomes a symlink to it; an `owner` file next to the
 * cluster names the base directory. `server.json` records the real path, which is what
 * `postgres -D` receives.
 */
async function placeNewCluster(layout: EmbeddedLayout, who: RunAs): Promise<string> {
  if (await canTraverse(layout.baseDir, who)) return layout.clusterPath;
  const hash = createHash('sha256').update(layout.baseDir).digest('hex').slice(0, 16);
  const home = path.join(SHARED_STATE_ROOT, hash);
  await fs.mkdir(SHARED_STATE_ROOT, { recursive: true, mode: 0o755 });
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  if (who) await fs.chown(home, who.uid, who.gid);
  await fs.writeFile(path.join(home, 'owner'), `${layout.baseDir}\n`, { mode: 0o644 });
  return path.join(home, 'pg');
}

async function discardOrphan(dataDir: string, log: (line: string) => void): Promise<void> {
  log(`discarding ${dataDir}: its credentials (server.json) and link are gone`);
  const running = await readPostmasterPid(dataDir);
  if (running && isPostgresProcess(running.pid)) await stopPostmaster(running.pid);
  await fs.rm(dataDir, { recursive: true, force: true });
}

/**
 * Removes what an interrupted first run left: staging directories and password files. An initdb
 * orphaned by a `kill -9` of its parent may still be writing into its staging directory, so it
 * is killed first.
 */
async function sweepStaging(dataDir: string): Promise<void> {
  const parent = path.dirname(dataDir);
  const prefix = `${path.basename(dataDir)}.initdb-`;
  for (const name of await fs.readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) && !name.startsWith('.pwfile-')) continue;
    const stale = path.join(parent, name);
    const stragglers = pidsWithArgument(`--pgdata=${stale}`);
    for (const pid of stragglers) process.kill(pid, 'SIGKILL');
    while (stragglers.some((pid) => isProcessAlive(pid))) await sleep(20);
    await fs.rm(stale, { recursive: true, force: true, maxRetries: 5 });
  }
}

async function initialise(layout: EmbeddedLayout, dataDir: string, binaries: PostgresBinaries, who: RunAs): Promise<ServerState> {
  await sweepStaging(dataDir);
  const parent = path.dirname(dataDir);
  const suffix = randomBytes(4).toString('hex');
  const staging = `${dataDir}.initdb-${suffix}`;
  const pwfile = path.join(parent, `.pwfile-${suffix}`);
  const password = randomBytes(24).toString('hex');
  try {
    await fs.mkdir(staging, { mode: 0o700 });
    await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    await chownTree(staging, who);
    await chownTree(pwfile, who);
    await runInitdb(
      binaries.initdb,
      [
        `--pgdata=${staging}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--lc-messages=C',
      ],
      parent,
      who,
    );
    const state: ServerState = { user: SUPERUSER, password, dataDir, port: null, pid: null, startedBy: null, startedAt: null };
    await writeServerState(layout, state);
    await fs.rename(staging, dataDir);
    return state;
  } finally {
    await fs.rm(pwfile, { force: true });
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * Finds the cluster of `layout`, creating it with initdb on first use (scram-sha-256, a random
 * password for the `beacon` superuser, UTF-8 with the builtin C.UTF-8 locale). initdb runs in a
 * staging directory renamed into place afterwards, so an interrupted first run leaves nothing
 * half-initialised behind. Must be called while holding the layout's lock.
 */
export async function prepareCluster(
  layout: EmbeddedLayout,
  binaries: PostgresBinaries,
  who: RunAs,
  log: (line: string) => void,
): Promise<PreparedCluster> {
  const state = await readServerState(layout);
  if (await exists(layout.clusterPath)) {
    const dataDir = await fs.realpath(layout.clusterPath).catch(() => null);
    if (dataDir && (await exists(path.join(dataDir, 'PG_VERSION')))) {
      if (!state) {
        throw new Error(
          `${layout.clusterPath} holds a PostgreSQL cluster but ${layout.stateFile} (its credentials) is missing or unreadable; ` +
            `move ${dataDir} away or delete it to start with an empty database`,
        );
      }
      if (state.dataDir !== dataDir) await writeServerState(layout, { ...state, dataDir });
      return { dataDir, state: { ...state, dataDir }, created: false };
    }
    if (dataDir && (await fs.readdir(dataDir)).length > 0) {
      throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or delete it`);
    }
    const stat = await fs.lstat(layout.clusterPath);
    if (stat.isSymbolicLink()) await fs.unlink(layout.clusterPath);
    else await fs.rmdir(layout.clusterPath);
  }
  const dataDir = await placeNewCluster(layout, who);
  if (dataDir !== layout.clusterPath) {
    if (await exists(dataDir)) {
      if (state?.dataDir === dataDir && (await exists(path.join(dataDir, 'PG_VERSION')))) {
        await fs.symlink(dataDir, layout.clusterPath);
        return { dataDir, state, created: false };
      }
      await discardOrphan(dataDir, log);
    }
    await fs.symlink(dataDir, layout.clusterPath);
  }
  log(`initialising embedded PostgreSQL in ${displayPath(layout.clusterPath)} (first run)…`);
  const created = await initialise(layout, dataDir, binaries, who);
  return { dataDir, state: created, created: true };
}
