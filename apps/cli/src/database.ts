import path from 'node:path';
import type { DatabaseHandle } from '@beacon/db';
import { maskConnectionString, redactSecrets } from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { CliError, EXIT } from './exit-codes.js';
import { note } from './output.js';

/** An open, migrated database and how to let go of it. */
export interface OpenDatabase {
  ds: DataSource;
  handle: DatabaseHandle;
  applied: string[];
  close(): Promise<void>;
}

/** Where the embedded database lives: BEACON_DATA_DIR, else `.beacon/` in the working directory. */
export function dataDir(): string {
  return path.resolve(process.env.BEACON_DATA_DIR || path.join(process.cwd(), '.beacon'));
}

/**
 * Joins or starts the database (DATABASE_URL, else the embedded server under `.beacon/`), connects and applies
 * pending migrations under the migration lock. With `watch` (the daemon), an embedded server that goes away is
 * restarted or adopted within seconds, until `close()`.
 */
export async function openDatabase(opts: {
  applicationName: string;
  poolSize?: number;
  quiet?: boolean;
  watch?: boolean;
  /** With `watch`: told when the embedded server came back where this process cannot reach it (see `WatchOptions.onLost`). */
  onLost?: (reason: string) => void;
}): Promise<OpenDatabase> {
  const { acquireDatabase, createDataSource, migrate } = await import('./lazy/db.js');
  let handle: DatabaseHandle;
  try {
    handle = await acquireDatabase({ baseDir: dataDir(), log: opts.quiet ? undefined : note });
  } catch (err) {
    throw new CliError(
      `cannot start or join the database: ${redactSecrets(err instanceof Error ? err.message : String(err))}`,
      EXIT.unreachable,
    );
  }
  const ds = createDataSource(handle.url, { applicationName: opts.applicationName, poolSize: opts.poolSize });
  try {
    await ds.initialize();
    const { applied } = await migrate(ds);
    // A daemon must not depend on another command to bring its embedded server back after a crash or kill.
    const watch = opts.watch ? handle.watch({ log: note, onLost: opts.onLost }) : null;
    let closed = false;
    return {
      ds,
      handle,
      applied,
      async close() {
        if (closed) return;
        closed = true;
        await watch?.stop();
        await ds.destroy().catch(() => undefined);
        await handle.release();
      },
    };
  } catch (err) {
    if (ds.isInitialized) await ds.destroy().catch(() => undefined);
    await handle.release();
    // The driver's message may quote the connection string (or a part of it it could not parse).
    const reason = redactSecrets(maskConnectionString(err instanceof Error ? err.message : String(err)));
    throw new CliError(`database ${redact(handle.url)}: ${reason}`, EXIT.unreachable);
  }
}

/** A connection string with its password hidden in every form (user info, `?password=`, `password=`), for messages. */
export function redact(url: string): string {
  return maskConnectionString(url);
}
