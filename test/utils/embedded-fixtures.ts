import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isIdentityAlive, isProcessAlive, processCommandLine, sleep } from '../../libs/db/src/embedded/process-info.util.js';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `npm run build` puts the compiled embedded-database module that child processes import. */
export const BUILT_EMBEDDED_MODULE = path.join(REPO_ROOT, 'dist', 'libs', 'db', 'src', 'embedded', 'index.js');

/** Prefix of the base directories made by {@link freshBaseDir}. */
export const SPEC_DIR_PREFIX = 'beacon-embedded-spec-';

/** Prefix of the global test server's base directory. */
export const TEST_SERVER_DIR_PREFIX = 'beacon-test-';

/** Where fallback clusters live when the postgres OS user cannot reach the base directory. */
const SHARED_STATE_ROOT = '/var/lib/beacon';

/**
 * A new empty base directory under the OS temp dir. `mkdtemp` makes it mode 700, which (as root)
 * sends the cluster to `/var/lib/beacon/<hash>`; `traversable` opens it up (755) so that the
 * cluster lives in `<dir>/pg` instead.
 */
export async function freshBaseDir(traversable = false): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), SPEC_DIR_PREFIX));
  if (traversable) await fs.chmod(dir, 0o755);
  return fs.realpath(dir);
}

/** Pids of the postmasters running with `-D dataDir` (zombies excluded). */
export function postmastersFor(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const args = processCommandLine(pid);
    if (!args || !/postgres$/.test(args[0] ?? '')) continue;
    const flag = args.indexOf('-D');
    if (flag >= 0 && args[flag + 1] === dataDir && isProcessAlive(pid)) pids.push(pid);
  }
  return pids;
}

/** The cluster directory a base directory uses (following the `pg` symlink), or `null`. */
export function dataDirOf(baseDir: string): string | null {
  try {
    const state = JSON.parse(readFileSync(path.join(baseDir, 'server.json'), 'utf8')) as { dataDir?: string };
    if (state.dataDir) return state.dataDir;
  } catch {
    // no server.json: fall back to the pg link
  }
  return existsSync(path.join(baseDir, 'pg')) ? path.join(baseDir, 'pg') : null;
}

/** Polls `condition` every 50 ms until it holds, failing after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Kills (SIGKILL) every postmaster of `baseDir`'s cluster and deletes the base directory, plus its
 * `/var/lib/beacon/<hash>` fallback home when it has one.
 */
export async function destroyBaseDir(baseDir: string): Promise<void> {
  const dataDir = dataDirOf(baseDir);
  if (dataDir) {
    const shared = dataDir.startsWith(`${SHARED_STATE_ROOT}/`);
    await killPostmastersAndRemove(dataDir, shared ? path.dirname(dataDir) : dataDir);
  }
  await fs.rm(baseDir, { recursive: true, force: true });
}

function hasLiveClient(baseDir: string): boolean {
  const clients = path.join(baseDir, 'clients');
  if (!existsSync(clients)) return false;
  return readdirSync(clients).some((name) => {
    try {
      return isIdentityAlive(JSON.parse(readFileSync(path.join(clients, name), 'utf8')));
    } catch {
      return false;
    }
  });
}

async function killPostmastersAndRemove(dataDir: string, home: string): Promise<void> {
  const pids = postmastersFor(dataDir);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await waitFor(() => pids.every((pid) => !isProcessAlive(pid)), `postmasters ${pids.join(', ')} to exit`);
  await fs.rm(home, { recursive: true, force: true });
}

/**
 * Removes `/var/lib/beacon/<hash>` cluster homes whose base directory (its `owner` file) was a
 * temp directory that no longer exists: left behind by tests that deleted only the base directory.
 */
async function sweepOrphanedClusterHomes(): Promise<void> {
  const tmp = await fs.realpath(os.tmpdir());
  for (const name of readdirSync(SHARED_STATE_ROOT, { withFileTypes: true })) {
    if (!name.isDirectory() || name.name === 'runtime') continue;
    const home = path.join(SHARED_STATE_ROOT, name.name);
    const owner = await fs.readFile(path.join(home, 'owner'), 'utf8').then(
      (text) => text.trim(),
      () => null,
    );
    if (!owner || !owner.startsWith(`${tmp}/`) || existsSync(owner)) continue;
    await killPostmastersAndRemove(path.join(home, 'pg'), home).catch(() => undefined);
  }
}

/**
 * Destroys test base directories left in the temp dir by interrupted runs (older than `minAgeMs`
 * and with no live client process), and cluster homes whose temp base directory is gone.
 */
export async function sweepAbandonedTestDirs(minAgeMs = 10 * 60_000): Promise<void> {
  const tmp = os.tmpdir();
  for (const name of readdirSync(tmp)) {
    if (!name.startsWith(SPEC_DIR_PREFIX) && !name.startsWith(TEST_SERVER_DIR_PREFIX)) continue;
    const dir = path.join(tmp, name);
    const stat = await fs.stat(dir).catch(() => null);
    if (!stat || Date.now() - stat.mtimeMs < minAgeMs || hasLiveClient(dir)) continue;
    await destroyBaseDir(dir).catch(() => undefined);
  }
  if (existsSync(SHARED_STATE_ROOT)) await sweepOrphanedClusterHomes();
}

/** What a holder process reports once it has acquired the database. */
export interface HolderInfo {
  /** Its database URL. */
  url: string;
  /** Its cluster directory. */
  dataDir: string;
  /** Its pid. */
  pid: number;
}

/** A child Node process holding an acquired embedded database until signalled. */
export interface Holder {
  /** The child process. */
  child: ChildProcess;
  /** Resolves once the child has acquired the database; rejects if it exits first. */
  ready: Promise<HolderInfo>;
  /** Resolves when the child has exited. */
  exited: Promise<void>;
}

const HOLDER_SCRIPT = `
const { acquireDatabase } = await import(process.env.BEACON_EMBEDDED_MODULE_URL);
const handle = await acquireDatabase({ baseDir: process.env.BEACON_HOLDER_BASE_DIR, env: {} });
if (process.env.BEACON_HOLDER_SQL) {
  const pg = (await import('pg')).default;
  const client = new pg.Client(handle.url);
  await client.connect();
  await client.query(process.env.BEACON_HOLDER_SQL);
  await client.end();
}
process.on('SIGTERM', () => handle.release().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); }));
process.stdout.write(JSON.stringify({ url: handle.url, dataDir: handle.dataDir, pid: process.pid }) + '\\n');
setInterval(() => undefined, 1 << 30);
`;

/** Fails with a clear message when the compiled module child processes need is missing or older than its sources. */
export function requireBuiltModule(): void {
  const advice = 'run `npm run build` before these tests (child processes import the built code)';
  if (!existsSync(BUILT_EMBEDDED_MODULE)) throw new Error(`${BUILT_EMBEDDED_MODULE} is missing: ${advice}`);
  const sources = path.join(REPO_ROOT, 'libs', 'db', 'src', 'embedded');
  for (const name of readdirSync(sources).filter((n) => n.endsWith('.ts') && !n.endsWith('.spec.ts'))) {
    const built = path.join(path.dirname(BUILT_EMBEDDED_MODULE), name.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(path.join(sources, name)).mtimeMs) {
      throw new Error(`${built} is missing or older than ${name}: ${advice}`);
    }
  }
}

/**
 * Starts a Node process that acquires the embedded database of `baseDir` using the built module,
 * optionally runs `sql`, prints a {@link HolderInfo} line and waits; on SIGTERM it releases and exits.
 */
export function startHolder(baseDir: string, sql?: string): Holder {
  requireBuiltModule();
  const child = spawn(process.execPath, ['--input-type=module', '-e', HOLDER_SCRIPT], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      BEACON_EMBEDDED_MODULE_URL: pathToFileURL(BUILT_EMBEDDED_MODULE).href,
      BEACON_HOLDER_BASE_DIR: baseDir,
      BEACON_HOLDER_SQL: sql ?? '',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<HolderInfo>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as HolderInfo);
    });
    child.once('exit', (code, signal) => reject(new Error(`holder exited (${code ?? signal}) before acquiring:\n${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited };
}
