import { MIGRATIONS } from '@beacon/migrations';
import { connectionPasswords, secrets } from '@beacon/domain';
import { DataSource } from 'typeorm';
import { PoolKeepingDriver } from './repositories/query.js';

/** Options for a Beacon connection pool. */
export interface DataSourceOptions {
  /** Shown in pg_stat_activity, e.g. `beacon-runner:<runner id>`. */
  applicationName?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /**
   * Client-side bound on one query, in ms (default {@link QUERY_TIMEOUT_MS}). Only a caller whose statements set a
   * longer `statement_timeout` themselves needs to raise it.
   */
  queryTimeoutMs?: number;
}

/** Server-side bound on every statement of the pool. */
export const STATEMENT_TIMEOUT_MS = 30_000;
/**
 * Client-side bound on every query of the pool: a little above {@link STATEMENT_TIMEOUT_MS}, so a statement the server
 * runs is cancelled by the server first (57014, with its own message), and this only fires when the server does not
 * answer at all (frozen, or its host gone without a reset): without it a query on a pooled connection to a stopped
 * server waits for the whole freeze. No statement is meant to come near it: planning runs in ~0.5 s chunks, and the
 * reconciler's rules set at most the same statement_timeout.
 */
export const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;

/**
 * The one way Beacon builds a DataSource: migrations from code, never `synchronize`, and no entities.
 *
 * Why no entities (and no `@nestjs/typeorm`): PostgreSQL is Beacon's queue, and its statements are ones an ORM does
 * not write: `FOR UPDATE SKIP LOCKED` claims fenced by lease tokens, set-based planning of 100k cells in a few
 * statements, job statuses rolled up from their cells in SQL, keyset pages, advisory locks and LISTEN/NOTIFY.
 * The schema lives in raw-SQL migrations only, with triggers and functions TypeORM's metadata does not model, so a
 * set of entities could never be checked "in step" with it by the schema builder. Every repository in
 * `repositories/` therefore writes its SQL by hand (status values from one vocabulary, `status-sql.ts`), and the
 * DataSource is used for what it is good at: the connection pool (`query`, `transaction`, query runners) and the
 * migration runner. Entities for some tables would be a second, unchecked and unused description of the schema.
 */
export function createDataSource(url: string, opts: DataSourceOptions = {}): DataSource {
  // Its password (embedded or from DATABASE_URL, in whatever form) is hidden wherever a driver error might quote it.
  secrets.add(...connectionPasswords(url));
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'beacon_migrations',
    synchronize: false,
    logging: false,
    // `pg` itself, keeping the pool TypeORM builds, so that queryRows sends statements straight to it.
    driver: new PoolKeepingDriver(),
    extra: {
      max: opts.poolSize ?? 10,
      application_name: opts.applicationName ?? 'beacon',
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      // No statement may hang the queue: a stuck heartbeat must fail so the runner can self-fence.
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: opts.queryTimeoutMs ?? QUERY_TIMEOUT_MS,
      idle_in_transaction_session_timeout: 30_000,
    },
  });
}

const MIGRATION_LOCK_KEY = 0x6265_6163; // 'beac'

/** Result of a migration run. */
export interface MigrateResult {
  applied: string[];
}

/**
 * Applies pending migrations while holding a session-level advisory lock, so several daemons starting at once
 * migrate one after another and the later ones find nothing to do.
 */
export async function migrate(ds: DataSource): Promise<MigrateResult> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return { applied: applied.map((m) => m.name) };
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** True when every migration in code has been applied to the database. */
export async function migrationsCurrent(ds: DataSource): Promise<boolean> {
  return !(await ds.showMigrations());
}
