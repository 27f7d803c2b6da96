import { DataSource, type EntityManager } from 'typeorm';

/**
 * Runs one SQL statement and returns its rows as `R`, the row interface of that statement. A row interface says what
 * the pg driver gives back, column by column: `bigint` (ids) and `numeric` as string (cast `::int` in SQL where a
 * number is wanted), `integer`, `smallint`, `real` and `double precision` as number, `boolean` as boolean,
 * `timestamptz` as Date, `jsonb` parsed, arrays as arrays, and `null` where the column can be NULL. Rows are not
 * checked against `R`: each repository maps them to its domain type in one small parse function per row type, with
 * the status parsers of `status-sql.ts` for status and state columns.
 *
 * Every statement gives back its rows the same way: this goes through TypeORM's query runner with a structured result
 * (`QueryResult.records`), whereas its plain `query` answers UPDATE and DELETE with `[rows, rowCount]`. On a
 * DataSource the statement takes a pooled connection for itself; on an EntityManager bound to a query runner (a
 * transaction's, or `queryRunner.manager`) it runs on that runner's connection.
 */
export async function queryRows<R>(on: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<R[]> {
  const bound = on instanceof DataSource ? undefined : on.queryRunner;
  const runner = bound ?? (on instanceof DataSource ? on : on.dataSource).createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).records as R[];
  } finally {
    if (!bound) await runner.release();
  }
}
