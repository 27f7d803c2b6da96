import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ProcessIdentity, ServerState } from './embedded.types.js';
import { isIdentityAlive, selfIdentity } from './process-info.util.js';

/** The files Beacon keeps under its base directory (default `<cwd>/.beacon`). */
export interface EmbeddedLayout {
  /** The base directory itself. */
  baseDir: string;
  /** `pg`: the cluster, or a symlink to it (see `resolveCluster`). */
  clusterPath: string;
  /** `server.json`: credentials, port and postmaster of the cluster. */
  stateFile: string;
  /** `clients/`: one file per live process using the server. */
  clientsDir: string;
  /** `pg.log`: server output. */
  logFile: string;
  /** `lock`: guards starting, joining, and stopping. */
  lockFile: string;
}

/** What `postmaster.pid` says about a server. */
export interface PostmasterInfo {
  /** Postmaster pid. */
  pid: number;
  /** TCP port. */
  port: number;
  /** `starting`, `ready`, `stopping`, … (empty on old servers). */
  status: string;
}

/** The layout for `baseDir` (which must already be absolute). */
export function layoutFor(baseDir: string): EmbeddedLayout {
  return {
    baseDir,
    clusterPath: path.join(baseDir, 'pg'),
    stateFile: path.join(baseDir, 'server.json'),
    clientsDir: path.join(baseDir, 'clients'),
    logFile: path.join(baseDir, 'pg.log'),
    lockFile: path.join(baseDir, 'lock'),
  };
}

/** Writes `content` to `file` atomically (temp file + rename) with mode 0600. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(temp, content, { mode: 0o600 });
  await fs.rename(temp, file);
}

/** Reads `server.json`, or `null` when missing or unreadable. */
export async function readServerState(layout: EmbeddedLayout): Promise<ServerState | null> {
  try {
    const parsed = JSON.parse(await fs.readFile(layout.stateFile, 'utf8')) as ServerState;
    return typeof parsed.user === 'string' && typeof parsed.password === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

/** Replaces `server.json`. */
export async function writeServerState(layout: EmbeddedLayout, state: ServerState): Promise<void> {
  await writeFileAtomic(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Parses `<dataDir>/postmaster.pid` (line 1 pid, line 4 port, line 8 status); `null` if absent. */
export async function readPostmasterPid(dataDir: string): Promise<PostmasterInfo | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  return { pid: Number.parseInt(lines[0] ?? '', 10), port: Number.parseInt(lines[3] ?? '', 10), status: (lines[7] ?? '').trim() };
}

/** Records this process as a user of the server; returns the client file's path. */
export async function registerClient(layout: EmbeddedLayout): Promise<string> {
  await fs.mkdir(layout.clientsDir, { recursive: true, mode: 0o700 });
  const me = selfIdentity();
  const file = path.join(layout.clientsDir, `${me.pid}-${randomBytes(4).toString('hex')}.json`);
  await writeFileAtomic(file, JSON.stringify({ ...me, acquiredAt: new Date().toISOString() }));
  return file;
}

/**
 * Counts the live processes registered in `clients/`, deleting the files of dead ones (or of
 * pids since reused by another process) on the way.
 */
export async function countLiveClients(layout: EmbeddedLayout): Promise<number> {
  const names = await fs.readdir(layout.clientsDir).catch(() => [] as string[]);
  let live = 0;
  for (const name of names) {
    const file = path.join(layout.clientsDir, name);
    let who: ProcessIdentity | null = null;
    try {
      who = JSON.parse(await fs.readFile(file, 'utf8')) as ProcessIdentity;
    } catch {
      who = null;
    }
    if (who !== null && typeof who.pid === 'number' && isIdentityAlive(who)) live += 1;
    else await fs.unlink(file).catch(() => undefined);
  }
  return live;
}
