import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migrate } from '@beacon/db';
import { ENGINE_LIMITS } from '@beacon/domain';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/**
 * The database bounds a (region, model)'s concurrency override as the API does (`ENGINE_LIMITS.maxKeyConcurrency`):
 * the table allowed 10,000 where `POST /controls/keys/concurrency` stops at 1,024, so a row written past the API could
 * hold an override no configuration could have.
 */
describe('key_controls.concurrency: the same bound in the table as in the API', () => {
  let db: TestDatabase;
  const bound = () =>
    db.ds
      .query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'key_controls_concurrency_check'`)
      .then((rows: { def: string }[]) => Number(/concurrency <= (\d+)/.exec(rows[0]!.def)?.[1]));
  const put = (region: string, concurrency: number) =>
    db.ds.query(
      `INSERT INTO key_controls (region, model_id, concurrency, updated_by) VALUES ($1, 'm', $2, 'test')
       ON CONFLICT (region, model_id) DO UPDATE SET concurrency = EXCLUDED.concurrency`,
      [region, concurrency],
    );

  beforeAll(async () => {
    db = await migratedDatabase('keybound');
  });
  afterAll(async () => db?.close());

  it('accepts 0 and the API bound, refuses one more and a negative, naming the constraint', async () => {
    expect(await bound()).toBe(ENGINE_LIMITS.maxKeyConcurrency);
    await put('r-zero', 0);
    await put('r-max', ENGINE_LIMITS.maxKeyConcurrency);
    await expect(put('r-over', ENGINE_LIMITS.maxKeyConcurrency + 1)).rejects.toThrow(/key_controls_concurrency_check/);
    await expect(put('r-neg', -1)).rejects.toThrow(/key_controls_concurrency_check/);
    const rows = await db.ds.query(`SELECT region, concurrency FROM key_controls ORDER BY region`);
    expect(rows).toEqual([
      { region: 'r-max', concurrency: ENGINE_LIMITS.maxKeyConcurrency },
      { region: 'r-zero', concurrency: 0 },
    ]);
  });

  it('migrating a table that holds a larger override lowers it to the bound; undoing restores the old check', async () => {
    await db.ds.query(`DELETE FROM key_controls`);
    const applied = async () => (await db.ds.query(`SELECT name FROM beacon_migrations`)).map((r: { name: string }) => r.name);
    // Every migration after this one (none yet), then this one.
    while ((await applied()).includes('KeyConcurrencyBound1797400000000')) await db.ds.undoLastMigration({ transaction: 'each' });
    expect(await bound()).toBe(10_000);
    await put('r-big', 5_000);
    await put('r-small', 7);
    expect((await migrate(db.ds)).applied[0]).toBe('KeyConcurrencyBound1797400000000');
    expect(await bound()).toBe(ENGINE_LIMITS.maxKeyConcurrency);
    expect(await db.ds.query(`SELECT region, concurrency FROM key_controls ORDER BY region`)).toEqual([
      { region: 'r-big', concurrency: ENGINE_LIMITS.maxKeyConcurrency },
      { region: 'r-small', concurrency: 7 },
    ]);
  });
});
