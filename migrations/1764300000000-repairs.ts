import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciler repairs: the audit of every repair `beacon reconcile --fix` applied (append-only; nothing is ever
 * deleted by a repair), and `executions.superseded_by`, which marks a duplicate copy of a cell with the execution kept.
 */
export class Repairs1764300000000 implements MigrationInterface {
  name = 'Repairs1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciler_repairs (
        id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        finding_fingerprint text NOT NULL,
        rule_id             text NOT NULL,
        action              text NOT NULL,
        execution_ids       bigint[] NOT NULL,
        applied_at          timestamptz NOT NULL DEFAULT now(),
        applied_by          text NOT NULL,
        detail              jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX reconciler_repairs_fingerprint ON reconciler_repairs (finding_fingerprint)`);
    await q.query(`ALTER TABLE executions ADD COLUMN superseded_by bigint NULL REFERENCES executions (id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE executions DROP COLUMN superseded_by`);
    await q.query(`DROP TABLE reconciler_repairs`);
  }
}
