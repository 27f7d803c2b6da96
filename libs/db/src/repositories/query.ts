import { DataSource, type EntityManager } from 'typeorm';

interface PgPool {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Runs SQL and returns its rows. On a DataSource the statement goes straight to the driver's pg pool: the queue's
 * hot path (claim, attempt rows, completion) runs thousands of statements a second and TypeORM's per-query wrapper
 * (a query runner per call) is measurable there. Inside a transaction it goes through the EntityManager, whose
 * driver answers UPDATE and DELETE with `[rows, rowCount]`; both give back plain rows.
 */
export async function query<T = Record<string, unknown>>(on: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  if (on instanceof DataSource) {
    const pool = (on.driver as unknown as { master?: PgPool }).master;
    if (pool) return (await pool.query(sql, params)).rows as T[];
  }
  const result: unknown = await on.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
