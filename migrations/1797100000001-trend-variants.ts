import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A trend point is one cell of a run over its replicates, and a cell's key has its variant (CellVariants1797100000000):
 * `trend_points.variant` (`''`, the default variant, for every point recorded before) joins the primary key, so the
 * points of two variants of one (question, model, region) are two points, never one.
 */
export class TrendVariants1797100000001 implements MigrationInterface {
  name = 'TrendVariants1797100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trend_points ADD COLUMN variant text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE trend_points DROP CONSTRAINT trend_points_pkey`);
    await q.query(`ALTER TABLE trend_points ADD PRIMARY KEY (job_id, question_id, model, region, variant)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM trend_points WHERE variant <> ''`);
    await q.query(`ALTER TABLE trend_points DROP CONSTRAINT trend_points_pkey`);
    await q.query(`ALTER TABLE trend_points ADD PRIMARY KEY (job_id, question_id, model, region)`);
    await q.query(`ALTER TABLE trend_points DROP COLUMN variant`);
  }
}
