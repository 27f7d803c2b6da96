import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Versioned labels: one row per (execution, classifier version), written with the committed result and by
 * `beacon classify --job`, never updated. `executions.classification` / `classification_rule` stay the current
 * label. Labels already on executions are kept as rows of the version that wrote them (`rules-v1`, or `imported`
 * for rows without a rule, which came from a legacy import).
 */
export class Classifications1764500000000 implements MigrationInterface {
  name = 'Classifications1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE classifications (
        id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        execution_id       bigint NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        attempt_id         bigint NULL REFERENCES execution_attempts(id) ON DELETE SET NULL,
        classifier_version text NOT NULL,
        label              text NOT NULL,
        confidence         real NULL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
        tier               text NULL CHECK (tier IS NULL OR tier IN ('provider','empty','rules','judge')),
        rule               text NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT classifications_once_per_version UNIQUE (execution_id, classifier_version)
      )`);
    await q.query(`
      INSERT INTO classifications (execution_id, attempt_id, classifier_version, label, confidence, tier, rule, created_at)
      SELECT e.id, a.id, CASE WHEN e.classification_rule IS NULL THEN 'imported' ELSE 'rules-v1' END,
             e.classification, NULL,
             CASE WHEN e.classification_rule IS NULL THEN NULL
                  WHEN e.classification_rule LIKE 'provider.%' THEN 'provider'
                  WHEN e.classification_rule = 'empty' THEN 'empty' ELSE 'rules' END,
             e.classification_rule, coalesce(e.finished_at, e.updated_at)
        FROM executions e
        LEFT JOIN execution_attempts a ON a.execution_id = e.id AND a.attempt = e.result_attempt
       WHERE e.classification IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE classifications`);
  }
}
