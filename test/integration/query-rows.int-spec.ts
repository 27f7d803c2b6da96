import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PoolKeepingDriver, queryRows } from '@beacon/db';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/**
 * queryRows gives every statement's rows the same way (TypeORM's own `query` answers UPDATE and DELETE with
 * `[rows, rowCount]`), on the DataSource's pool, in a transaction, and on a query runner's manager.
 */
describe('queryRows', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase('query-rows');
    ds = db.ds;
    await ds.query(`INSERT INTO runners (id, host, pid, version) VALUES ('r1', 'h', 1, 'v'), ('r2', 'h', 2, 'v')`);
  });
  afterAll(async () => {
    await db?.close();
  });

  const update = `UPDATE runners SET last_seen_at = now() WHERE id = ANY($1::text[]) RETURNING id, pid`;

  it('returns the rows of an UPDATE on a DataSource, through the pool createDataSource keeps', async () => {
    const driver = (ds.options as { driver?: unknown }).driver;
    expect(driver).toBeInstanceOf(PoolKeepingDriver);
    let acquired = 0;
    (driver as PoolKeepingDriver).pool!.on('acquire', () => acquired++);
    const rows = await queryRows<{ id: string; pid: number }>(ds, update, [['r1', 'r2']]);
    expect(rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'r1', pid: 1 },
      { id: 'r2', pid: 2 },
    ]);
    expect(acquired).toBe(1);
    expect(await queryRows(ds, update, [['none']])).toEqual([]);
  });

  it('returns the rows of an UPDATE in a transaction and on a query runner', async () => {
    const inTx = await ds.transaction((tx) => queryRows<{ id: string }>(tx, update, [['r1']]));
    expect(inTx.map((r) => r.id)).toEqual(['r1']);
    const runner = ds.createQueryRunner();
    try {
      expect((await queryRows<{ id: string }>(runner.manager, update, [['r2']])).map((r) => r.id)).toEqual(['r2']);
    } finally {
      await runner.release();
    }
    expect((await queryRows<{ id: string }>(ds.manager, update, [['r1']])).map((r) => r.id)).toEqual(['r1']);
  });
});
