import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ProcessIdentity } from './embedded.types.js';
import { isIdentityAlive, jitter, selfIdentity, sleep } from './process-info.util.js';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for a live holder, in ms; default 90 s. */
  timeoutMs?: number;
}

const BREAK_GRACE_MS = 10_000;

function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

async function readHolder(lockPath: string): Promise<{ holder: ProcessIdentity | null; ino: number } | null> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    try {
      const parsed = JSON.parse(text) as ProcessIdentity;
      return { holder: typeof parsed.pid === 'number' ? parsed : null, ino: stat.ino };
    } catch {
      return { holder: null, ino: stat.ino };
    }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

async function tryCreate(lockPath: string, me: ProcessIdentity): Promise<number | null> {
  const candidate = `${lockPath}.tmp-${me.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(candidate, JSON.stringify(me), { mode: 0o600 });
  try {
    await fs.link(candidate, lockPath);
    return (await fs.stat(candidate)).ino;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return null;
    throw err;
  } finally {
    await fs.unlink(candidate).catch(() => undefined);
  }
}

/**
 * Removes `lockPath` if it is still the dead holder's file (same inode). Breakers serialise on a
 * `<lock>.break` marker so that two of them never remove a lock a third process has just taken.
 */
async function breakDeadLock(lockPath: string, deadIno: number): Promise<void> {
  const marker = `${lockPath}.break`;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(marker, 'wx', 0o600);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    const stat = await fs.stat(marker).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > BREAK_GRACE_MS) await fs.unlink(marker).catch(() => undefined);
    return;
  }
  try {
    const stat = await fs.stat(lockPath).catch(() => null);
    if (stat && stat.ino === deadIno) await fs.unlink(lockPath).catch(() => undefined);
  } finally {
    await handle.close();
    await fs.unlink(marker).catch(() => undefined);
  }
}

async function sweepCandidates(lockPath: string): Promise<void> {
  const dir = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.tmp-`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!isIdentityAlive({ pid, startTime: null })) await fs.unlink(path.join(dir, name)).catch(() => undefined);
  }
}

/**
 * Runs `fn` while holding an exclusive, cross-process lock on the file `lockPath`.
 *
 * The lock file is created atomically (hard link of a fully written temp file) and holds the
 * holder's pid and start time. A lock whose holder has died (including `kill -9`, or a pid since
 * reused by another process) is broken; a live holder is waited for, polling with jittered
 * sleeps, up to `timeoutMs`, after which the call fails naming the holder's pid.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const me = selfIdentity();
  const deadline = Date.now() + timeoutMs;
  let unreadableSince: number | null = null;
  let ownIno: number | null;
  for (;;) {
    ownIno = await tryCreate(lockPath, me);
    if (ownIno !== null) break;
    const current = await readHolder(lockPath);
    if (current === null) continue;
    if (current.holder === null) {
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince > BREAK_GRACE_MS) await breakDeadLock(lockPath, current.ino);
    } else if (!isIdentityAlive(current.holder)) {
      await breakDeadLock(lockPath, current.ino);
      await sleep(jitter(1, 10));
      continue;
    }
    if (Date.now() > deadline) {
      const who = current.holder ? `process ${current.holder.pid}` : 'an unknown process';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${lockPath}, held by ${who}`);
    }
    await sleep(jitter(20, 120));
  }
  try {
    await sweepCandidates(lockPath);
    return await fn();
  } finally {
    const stat = await fs.stat(lockPath).catch(() => null);
    if (stat?.ino === ownIno) await fs.unlink(lockPath).catch(() => undefined);
  }
}
