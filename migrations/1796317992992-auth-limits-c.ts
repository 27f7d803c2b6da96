import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Authentication limits: the per-token request counts shared by every daemon (the table rate-limiter-flexible's
 * Postgres store reads and writes: one row per key and window, `expire` in epoch milliseconds), and a count on audit
 * rows, so one row can stand for many requests refused alike (a failed-authentication flood from one address).
 */
export class AuthLimitsC1796317992992 implements MigrationInterface {
  name = 'AuthLimitsC1796317992992';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rate_limits (
        key    varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await q.query(`ALTER TABLE audit_log ADD COLUMN occurrences integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log DROP COLUMN occurrences`);
    await q.query(`DROP TABLE rate_limits`);
  }
}
