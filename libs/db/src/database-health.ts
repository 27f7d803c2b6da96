import { MIGRATIONS } from '@beacon/migrations';
import pg from 'pg';

/**
 * How a failed database call failed, when it is the database's fault rather than the request's:
 * - `unavailable`: no connection could be made or kept (refused, reset, terminated, a server shutting down, crashed
 *   or still recovering, out of connection slots);
 * - `timeout`: the server did not answer in time (a statement timeout, a connect timeout).
 * `null` for everything else (a bug, a constraint violation: those stay errors).
 */
export type DatabaseFault = 'unavailable' | 'timeout';

/** Node socket errors that mean the server cannot be reached. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
/**
 * SQLSTATEs of a lost or refused connection: class 08 (connection exception), 57P01–57P03 (admin shutdown, crash
 * shutdown, cannot connect now: starting up or recovering), 53300 (too many connections).
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** 57014: query_canceled, which is what a statement_timeout raises. */
const TIMEOUT_STATES = new Set(['57014']);
/**
 * pg's own messages for a connection that died or never came up (it gives them no code), and pg-pool's for a pool
 * that could not hand out a connection within connectionTimeoutMillis (every connection busy on a frozen server, or a
 * new one not answered): the database's fault, not the request's.
 */
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|connection timeout|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout)/i;

/** Classifies `err` (a pg error, or TypeORM's QueryFailedError wrapping one) as a database fault, or `null`. */
export function databaseFault(err: unknown): DatabaseFault | null {
  const seen = new Set<unknown>();
  let e: unknown = err;
  // TypeORM wraps the driver's error (driverError); Node wraps socket errors in AggregateError (errors[]) or cause.
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (SOCKET_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code)) return 'unavailable';
      if (TIMEOUT_STATES.has(code)) return 'timeout';
    }
    if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) {
      return /timeout/i.test(message) ? 'timeout' : 'unavailable';
    }
    const inner = e as { driverError?: unknown; cause?: unknown; errors?: unknown[] };
    e = inner.driverError ?? inner.cause ?? (Array.isArray(inner.errors) ? inner.errors[0] : undefined);
  }
  return null;
}

/** What a readiness probe found. */
export interface DatabaseProbe {
  /** `ok`, or why the database cannot be used. */
  database: string;
  /** `ok`, or which migrations are missing; absent when the database could not be asked. */
  migrations?: string;
}

/** Every migration name in code (TypeORM records `name`, which each migration sets to its class name). */
const MIGRATION_NAMES: string[] = MIGRATIONS.map((m) => new (m as new () => { name?: string })().name ?? m.name);

/**
 * Checks the database over a dedicated short-lived connection, never the pool: a pool whose connections hang (a
 * frozen server) must not hold the probe, and a probe must not take a pool slot the engine needs. Connecting,
 * querying and closing all fit in `timeoutMs`; past it the socket is destroyed and the answer says so.
 */
export async function probeDatabase(url: string, timeoutMs = 1500): Promise<DatabaseProbe> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'beacon-probe',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const work = (async (): Promise<DatabaseProbe> => {
      await client.connect();
      const { rows } = await client.query<{ name: string }>(`SELECT name FROM beacon_migrations WHERE name = ANY($1::text[])`, [
        MIGRATION_NAMES,
      ]);
      const applied = new Set(rows.map((r) => r.name));
      const missing = MIGRATION_NAMES.filter((n) => !applied.has(n));
      return {
        database: 'ok',
        migrations: missing.length === 0 ? 'ok' : `pending migrations (${missing.join(', ')}): run \`beacon migrate\``,
      };
    })();
    work.catch(() => undefined);
    return await Promise.race([work, deadline]);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      return { database: 'ok', migrations: 'no schema yet: run `beacon migrate`' };
    }
    return { database: `unreachable: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearTimeout(timer);
    closeNow(client);
  }
}

/**
 * Ends a client without waiting on the server: `end()` waits for the server to close its side, which a frozen
 * server never does, so the socket is destroyed as well (pg exposes no other way to drop it).
 */
function closeNow(client: pg.Client): void {
  client.end().catch(() => undefined);
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  setTimeout(() => stream?.destroy(), 100).unref();
}
