import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operator controls, durable so that every daemon on the database obeys them:
 *
 * - `jobs.paused_at` / `jobs.paused_by`: a paused job's cells are not claimed (calls in flight finish).
 * - `key_controls`: per (region, model), a pause (`paused_at`) and a concurrency override (`concurrency`, calls in
 *   flight per daemon, in place of the region's configured concurrency); a row with neither controls nothing.
 * - `runners.draining_at`: a draining daemon claims nothing more and finishes the calls it has.
 * - `executions.reruns`: how many times an operator put the cell back to the queue after it failed (each rerun
 *   gives it a fresh attempt budget; its earlier attempts stay in `execution_attempts`).
 */
export class OperatorControls1797300000000 implements MigrationInterface {
  name = 'OperatorControls1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN paused_at timestamptz, ADD COLUMN paused_by text`);
    await q.query(`ALTER TABLE runners ADD COLUMN draining_at timestamptz, ADD COLUMN draining_by text`);
    await q.query(`ALTER TABLE executions ADD COLUMN reruns integer NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE key_controls (
        region      text NOT NULL,
        model_id    text NOT NULL,
        paused_at   timestamptz,
        paused_by   text,
        concurrency integer CHECK (concurrency IS NULL OR concurrency BETWEEN 0 AND 10000),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        updated_by  text NOT NULL,
        PRIMARY KEY (region, model_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE key_controls`);
    await q.query(`ALTER TABLE executions DROP COLUMN reruns`);
    await q.query(`ALTER TABLE runners DROP COLUMN draining_at, DROP COLUMN draining_by`);
    await q.query(`ALTER TABLE jobs DROP COLUMN paused_at, DROP COLUMN paused_by`);
  }
}
