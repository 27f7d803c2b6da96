import { randomBytes } from 'node:crypto';
import type { ThrowawayDatabase } from './embedded.types.js';
import { connect } from './postgres-server.util.js';

function uniqueName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .replace(/^([^a-z_])/, '_$1') || 'tmp';
  const suffix = `_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  return `${clean.slice(0, 63 - suffix.length)}${suffix}`;
}

/**
 * Creates a uniquely named database (`<prefix>_<timestamp36>_<random>`, lowercase, at most 63
 * characters) on the server of `adminUrl` and returns its URL and a `drop()` that terminates its
 * connections and drops it (`DROP DATABASE … WITH (FORCE)`, PostgreSQL ≥ 13).
 */
export async function createThrowawayDatabase(adminUrl: string, prefix = 'tmp'): Promise<ThrowawayDatabase> {
  const name = uniqueName(prefix);
  const admin = await connect(adminUrl);
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | null = null;
  const drop = (): Promise<void> => {
    dropping ??= (async () => {
      const client = await connect(adminUrl);
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
    return dropping;
  };
  return { url: url.toString(), name, drop };
}
