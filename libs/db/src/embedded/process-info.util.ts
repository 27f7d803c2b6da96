import { readFileSync } from 'node:fs';
import type { ProcessIdentity } from './embedded.types.js';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A random delay in `[min, max)` ms, to keep concurrent pollers from moving in lockstep. */
export function jitter(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min));
}

interface ProcStat {
  state: string;
  startTime: number;
}

function readProcStat(pid: number): ProcStat | null | undefined {
  if (process.platform !== 'linux') return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTime: Number(fields[19]) };
}

/**
 * The kernel start time of `pid` (field 22 of `/proc/<pid>/stat`, clock ticks since boot), or
 * `null` when the process does not exist or the platform has no `/proc`.
 */
export function processStartTime(pid: number): number | null {
  const stat = readProcStat(pid);
  return stat ? stat.startTime : null;
}

/** This process's identity, as recorded in lock and client files. */
export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

/**
 * Whether a process is running (zombies count as dead). When `startTime` is given and the
 * platform exposes it, a process with the same pid but another start time (a reused pid) is dead.
 */
export function isProcessAlive(pid: number, startTime: number | null = null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  if (stat === undefined) return true;
  if (stat === null || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === null || stat.startTime === startTime;
}

/** Whether the process recorded in `who` is still the same live process. */
export function isIdentityAlive(who: ProcessIdentity): boolean {
  return isProcessAlive(who.pid, who.startTime);
}

/** The NUL-separated arguments of `pid` from `/proc/<pid>/cmdline`; `null` when unreadable. */
export function processCommandLine(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
  } catch {
    return null;
  }
}

/**
 * Whether `pid` looks like a PostgreSQL postmaster. Where `/proc` is unavailable any live process
 * is accepted; the connection attempt that follows is the real check.
 */
export function isPostgresProcess(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  if (process.platform !== 'linux') return true;
  const args = processCommandLine(pid);
  return args !== null && args.length > 0 && /postgres/.test(args[0] ?? '');
}
