import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * The `pg` module as TypeORM's documented `driver` option, keeping the pool TypeORM builds with it. `createDataSource`
 * gives each DataSource one, so that {@link queryRows} can send the DataSource's statements straight to its pool: the
 * queue's hot path (claim, attempt rows, completion) runs thousands of statements a second and TypeORM's per-statement
 * query runner is measurable there.
 */
export class PoolKeepingDriver {
  /** The pool of the DataSource's last `initialize()`. */
  pool: pg.Pool | null = null;
  /** What TypeORM builds its pool with. */
  readonly Pool: typeof pg.Pool;
  /** What TypeORM sets `parseInt8` on when that option is given. */
  readonly defaults = pg.defaults;

  constructor() {
    const keep = (pool: pg.Pool): void => {
      this.pool = pool;
    };
    this.Pool = class extends pg.Pool {
      constructor(config?: pg.PoolConfig) {
        super(config);
        keep(this);
      }
    };
  }
}

/**
 * Runs one SQL statement and returns its rows as `R`, the row interface of that statement. A row interface says what
 * the pg driver gives back, column by column: `bigint` (ids) and `numeric` as string (cast `::int` in SQL where a
 * number is wanted), `integer`, `smallint`, `real` and `double precision` as number, `boolean` as boolean,
 * `timestamptz` as Date, `jsonb` parsed, arrays as arrays, and `null` where the column can be NULL. Rows are not
 * checked against `R`: each repository maps them to its domain type in one small parse function per row type, with
 * the status parsers of `status-sql.ts` for status and state columns.
 *
 * Every statement gives back its rows the same way. On a DataSource built by `createDataSource` the statement goes to
 * its pool ({@link PoolKeepingDriver}). Otherwise it goes through TypeORM's query runner with a structured result
 * (`QueryResult.records`), whereas TypeORM's plain `query` answers UPDATE and DELETE with `[rows, rowCount]`: on an
 * EntityManager bound to a query runner (a transaction's, or `queryRunner.manager`) on that runner's connection, else
 * on a pooled connection taken for the statement.
 */
export async function queryRows<R>(on: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<R[]> {
  if (on instanceof DataSource && on.isInitialized) {
    const { driver } = on.options as { driver?: unknown };
    if (driver instanceof PoolKeepingDriver && driver.pool) return (await driver.pool.query(sql, params)).rows as R[];
  }
  const bound = on instanceof DataSource ? undefined : on.queryRunner;
  const runner = bound ?? (on instanceof DataSource ? on : on.dataSource).createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).records as R[];
  } finally {
    if (!bound) await runner.release();
  }
}
