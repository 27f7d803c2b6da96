import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `key_controls.concurrency` bounded by the database as the API bounds it: 0 to 1024 (`ENGINE_LIMITS.maxKeyConcurrency`,
 * the most a region's concurrency may be configured to). The table allowed up to 10,000, so a row written past the
 * API (by SQL, or by a daemon of another version) could hold an override no configuration could have. A value over the
 * bound is lowered to it first (the claim already treats any larger N as "more than a daemon runs").
 */
export class KeyConcurrencyBound1797400000000 implements MigrationInterface {
  name = 'KeyConcurrencyBound1797400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE key_controls SET concurrency = 1024, updated_at = now() WHERE concurrency > 1024`);
    await q.query(`ALTER TABLE key_controls DROP CONSTRAINT key_controls_concurrency_check`);
    await q.query(
      `ALTER TABLE key_controls ADD CONSTRAINT key_controls_concurrency_check CHECK (concurrency IS NULL OR concurrency BETWEEN 0 AND 1024)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE key_controls DROP CONSTRAINT key_controls_concurrency_check`);
    await q.query(
      `ALTER TABLE key_controls ADD CONSTRAINT key_controls_concurrency_check CHECK (concurrency IS NULL OR concurrency BETWEEN 0 AND 10000)`,
    );
  }
}
