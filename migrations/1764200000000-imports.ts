import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Imported jobs and executions (from the Go runner's exports): flagged `imported`, with their original ids and
 * fields. The one-row-per-cell key holds only for planned rows, since an import keeps the legacy duplicates the
 * reconciler must be able to see; imported rows are unique per (job, legacy id) instead.
 */
export class Imports1764200000000 implements MigrationInterface {
  name = 'Imports1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN imported boolean NOT NULL DEFAULT false, ADD COLUMN legacy_id text`);
    await q.query(`
      ALTER TABLE executions
        ADD COLUMN imported boolean NOT NULL DEFAULT false,
        ADD COLUMN legacy_id bigint,
        ADD COLUMN legacy_question_id text,
        ADD COLUMN legacy_status text,
        ADD COLUMN legacy_data jsonb`);
    await q.query(`ALTER TABLE executions DROP CONSTRAINT executions_cell_key`);
    await q.query(
      `CREATE UNIQUE INDEX executions_cell_key ON executions (job_id, question_id, model_id, region, replicate) WHERE NOT imported`,
    );
    await q.query(`CREATE UNIQUE INDEX executions_legacy_key ON executions (job_id, legacy_id) WHERE imported`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM jobs WHERE imported`);
    await q.query(`DROP INDEX executions_legacy_key`);
    await q.query(`DROP INDEX executions_cell_key`);
    await q.query(`ALTER TABLE executions ADD CONSTRAINT executions_cell_key UNIQUE (job_id, question_id, model_id, region, replicate)`);
    await q.query(`
      ALTER TABLE executions DROP COLUMN imported, DROP COLUMN legacy_id, DROP COLUMN legacy_question_id,
        DROP COLUMN legacy_status, DROP COLUMN legacy_data`);
    await q.query(`ALTER TABLE jobs DROP COLUMN imported, DROP COLUMN legacy_id`);
  }
}
