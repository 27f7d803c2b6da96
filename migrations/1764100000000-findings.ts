import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reconciler's tables: findings keyed by a stable fingerprint (resolved, never deleted, when the condition no
 * longer holds) and one row per reconciler run.
 */
export class Findings1764100000000 implements MigrationInterface {
  name = 'Findings1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciler_findings (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        rule_id       text NOT NULL,
        severity      text NOT NULL CHECK (severity IN ('info','warning','critical')),
        fingerprint   text NOT NULL UNIQUE,
        job_id        text,
        summary       text NOT NULL,
        evidence      jsonb NOT NULL DEFAULT '{}'::jsonb,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at  timestamptz NOT NULL DEFAULT now(),
        resolved_at   timestamptz,
        occurrences   integer NOT NULL DEFAULT 1 CHECK (occurrences > 0)
      )`);
    await q.query(`CREATE INDEX reconciler_findings_open_job_idx ON reconciler_findings (job_id, rule_id) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX reconciler_findings_open_rule_idx ON reconciler_findings (rule_id, severity) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX reconciler_findings_job_idx ON reconciler_findings (job_id, id)`);

    await q.query(`
      CREATE TABLE reconciler_runs (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started_at  timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now(),
        kind        text NOT NULL CHECK (kind IN ('full','incremental')),
        findings    integer NOT NULL DEFAULT 0,
        duration_ms integer NOT NULL DEFAULT 0,
        error       text
      )`);
    await q.query(`CREATE INDEX reconciler_runs_kind_idx ON reconciler_runs (kind, started_at DESC) WHERE error IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reconciler_runs`);
    await q.query(`DROP TABLE reconciler_findings`);
  }
}
