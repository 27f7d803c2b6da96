import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A cell's variant (the language its question is asked in and the region prompt variant it is asked under) becomes
 * part of its key. `variant` defaults to `''`, the default variant, so every existing row keeps its key; adding a
 * column with a constant default rewrites no row. The unique index of planned cells is rebuilt with the variant:
 * the new one is built CONCURRENTLY (planning and claiming go on meanwhile), then the old one is dropped and the new
 * one takes its name, so `executions_cell_key` still names the cell key. Outside a transaction (CONCURRENTLY cannot
 * run inside one); an interrupted build leaves an invalid index, which the next run drops and builds again.
 */
export class CellVariants1797100000000 implements MigrationInterface {
  name = 'CellVariants1797100000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE executions ADD COLUMN IF NOT EXISTS variant text NOT NULL DEFAULT ''`);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS executions_cell_key_variant`);
    await q.query(
      `CREATE UNIQUE INDEX CONCURRENTLY executions_cell_key_variant
         ON executions (job_id, question_id, model_id, region, variant, replicate) WHERE NOT imported`,
    );
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS executions_cell_key`);
    await q.query(`ALTER INDEX executions_cell_key_variant RENAME TO executions_cell_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Plain statements: TypeORM undoes a migration inside a transaction whatever its `transaction` flag. Refused (a
    // unique violation) while a job has two variants of one cell: dropping them is a decision, not a migration.
    await q.query(`DROP INDEX executions_cell_key`);
    await q.query(
      `CREATE UNIQUE INDEX executions_cell_key ON executions (job_id, question_id, model_id, region, replicate) WHERE NOT imported`,
    );
    await q.query(`ALTER TABLE executions DROP COLUMN variant`);
  }
}
