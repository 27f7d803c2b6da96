import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows. TypeORM's postgres driver answers UPDATE and DELETE with `[rows, rowCount]` but
 * SELECT and INSERT with `rows`; this gives every statement the same shape.
 */
export async function query<T = Record<string, unknown>>(on: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await on.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
