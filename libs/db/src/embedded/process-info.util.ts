import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

function readPsStat(pid: number): ProcStat | null | undefined {
  let text: string;
  try {
    text = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (err) {
    return (err as { status?: number }).status === 1 ? null : undefined;
  }
  const match = /^\s*(\S+)\s+(.+?)\s*$/.exec(text);
  if (!match) return null;
  const started = Date.parse(match[2] ?? '');
  return { state: (match[1] ?? '').charAt(0), startTime: Number.isNaN(started) ? 0 : started / 1000 };
}

/**
 * State and start time of `pid`: from `/proc` on Linux, from `ps` on other Unixes; `null` when the
 * process does not exist, `undefined` when this cannot be told (e.g. Windows).
 */
function readProcStat(pid: number): ProcStat | null | undefined {
  if (process.platform === 'win32') return undefined;
  if (process.platform !== 'linux') return readPsStat(pid);
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
 * The start time of `pid`: on Linux field 22 of `/proc/<pid>/stat` (clock ticks since boot),
 * elsewhere seconds since the epoch from `ps`; `null` when the process does not exist or the
 * platform cannot tell.
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
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((arg) => arg !== '');
  } catch {
    return null;
  }
}

/**
 * Whether `pid` looks like a PostgreSQL postmaster (its program name mentions postgres; from
 * `/proc` on Linux, `ps` elsewhere). On Windows any live process is accepted; the connection
 * attempt that follows is the real check.
 */
export function isPostgresProcess(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  if (process.platform === 'win32') return true;
  if (process.platform !== 'linux') {
    try {
      return /postgres/.test(execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }));
    } catch {
      return false;
    }
  }
  const args = processCommandLine(pid);
  return args !== null && args.length > 0 && /postgres/.test(args[0] ?? '');
}

/** Pids of the live processes (Linux: from `/proc`) one of whose arguments is exactly `arg`. */
export function pidsWithArgument(arg: string): number[] {
  if (process.platform !== 'linux') return [];
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0 && (processCommandLine(pid)?.includes(arg) ?? false) && isProcessAlive(pid));
}
