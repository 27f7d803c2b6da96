import { promises as fs } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseHandle } from '../../libs/db/src/embedded/index.js';

/** What the global setup leaves on `globalThis` for the global teardown. */
export interface TestServer {
  /** The embedded test server's handle. */
  handle: DatabaseHandle;
  /** Its base directory (also in `BEACON_TEST_PG_DIR`). */
  baseDir: string;
  /** Releases the handle and deletes the base directory. */
  dispose(): Promise<void>;
}

/** Key of the {@link TestServer} on `globalThis`. */
export const TEST_SERVER_KEY = '__beaconTestServer';

type Resolve = (request: string, ...rest: unknown[]) => string;

/**
 * Jest loads global setup files as CommonJS through a require hook, where the `.js` suffixes of
 * our NodeNext imports do not resolve to the `.ts` sources; retry such requests with `.ts`.
 */
function resolveTypeScriptSources(): void {
  const loader = Module as unknown as { _resolveFilename: Resolve & { beaconTs?: true } };
  if (loader._resolveFilename.beaconTs) return;
  const original = loader._resolveFilename;
  const patched: Resolve & { beaconTs?: true } = function (this: unknown, request, ...rest) {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if (!request.startsWith('.') || !request.endsWith('.js')) throw err;
      return original.call(this, `${request.slice(0, -3)}.ts`, ...rest);
    }
  };
  patched.beaconTs = true;
  loader._resolveFilename = patched;
}

/**
 * Jest global setup of the integration project: provides the PostgreSQL server tests create
 * their throwaway databases on. Uses `DATABASE_URL` when set; otherwise starts an embedded server
 * in a fresh temp directory (`BEACON_TEST_PG_DIR`), never the repository's `.beacon`. The admin
 * URL goes to `BEACON_TEST_ADMIN_URL`; a {@link TestServer} goes to `globalThis` for teardown.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.BEACON_TEST_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  resolveTypeScriptSources();
  const { acquireDatabase } = await import('../../libs/db/src/embedded/index.js');
  const { destroyBaseDir, sweepAbandonedTestDirs, TEST_SERVER_DIR_PREFIX } = await import('./embedded-fixtures.js');
  await sweepAbandonedTestDirs();
  const baseDir = await fs.mkdtemp(path.join(os.tmpdir(), TEST_SERVER_DIR_PREFIX));
  let handle: DatabaseHandle;
  try {
    handle = await acquireDatabase({ baseDir, database: 'postgres', env: {} });
  } catch (err) {
    await destroyBaseDir(baseDir).catch(() => undefined);
    throw err;
  }
  const server: TestServer = {
    handle,
    baseDir,
    async dispose() {
      try {
        await handle.release();
      } finally {
        await destroyBaseDir(baseDir);
      }
    },
  };
  (globalThis as Record<string, unknown>)[TEST_SERVER_KEY] = server;
  process.env.BEACON_TEST_PG_DIR = baseDir;
  process.env.BEACON_TEST_ADMIN_URL = handle.url;
}
