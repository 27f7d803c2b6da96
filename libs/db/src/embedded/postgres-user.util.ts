import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunAs } from './embedded.types.js';

const run = promisify(execFile);

/** Name of the OS user PostgreSQL runs as when Beacon itself runs as root. */
export const POSTGRES_OS_USER = 'postgres';

async function lookupIds(name: string): Promise<RunAs> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return null;
  }
}

/**
 * Who initdb and postgres must run as. PostgreSQL refuses to run as root, so when this process is
 * root the servers run as the `postgres` OS user, which is created (system user, own group, no
 * home) when missing. For any other user: `null`, i.e. run as ourselves.
 */
export async function resolveRunAs(): Promise<RunAs> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const existing = await lookupIds(POSTGRES_OS_USER);
  if (existing) return existing;
  let failure = '';
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', POSTGRES_OS_USER]);
  } catch (err) {
    failure = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
  }
  const created = await lookupIds(POSTGRES_OS_USER);
  if (created) return created;
  throw new Error(
    `PostgreSQL cannot run as root and the '${POSTGRES_OS_USER}' OS user could not be created (${failure}); ` +
      `create it, run Beacon as a non-root user, or set DATABASE_URL`,
  );
}

function canExecute(stat: { uid: number; gid: number; mode: number }, who: NonNullable<RunAs>): boolean {
  if (stat.uid === who.uid) return (stat.mode & 0o100) !== 0;
  if (stat.gid === who.gid) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/**
 * Whether `who` can traverse every directory from `/` down to (and including) `dir`.
 * Supplementary groups and ACLs are not considered, so the answer errs on the side of "no".
 */
export async function canTraverse(dir: string, who: RunAs): Promise<boolean> {
  if (who === null) return true;
  let current = await fs.realpath(dir);
  for (;;) {
    const stat = await fs.stat(current);
    if (!canExecute(stat, who)) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** Recursively hands `target` to `who` (a no-op when `who` is `null`). Symlinks are not followed. */
export async function chownTree(target: string, who: RunAs): Promise<void> {
  if (who === null) return;
  await fs.lchown(target, who.uid, who.gid);
  const stat = await fs.lstat(target);
  if (!stat.isDirectory()) return;
  for (const entry of await fs.readdir(target)) await chownTree(path.join(target, entry), who);
}
