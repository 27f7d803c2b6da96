import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A per-job version of everything a job's analysis reads besides the job row itself (its cells' state, label and
 * response; its open findings), so `GET /api/v1/jobs/:id/analysis` finds out whether its cached answer still holds
 * with one primary-key probe, and a change to one job never invalidates another's.
 *
 * Bumped by statement-level triggers rather than by each writer, so no write path (the engine's claim, complete, fail,
 * release and reap; relabelling; the reconciler's repairs and findings; cancellation; statements written later) can
 * forget it. A bump increments a counter row in the writer's own transaction, so it becomes visible with the change it
 * counts, in commit order (a timestamp read from now() does neither), and the job's version is the sum of its rows,
 * which only grows. Each server process (backend) counts in its own row of the job: a backend runs one transaction at
 * a time, so a bump never waits for another writer's transaction (the reaper does not queue behind an uncommitted
 * completion of the same job, and no lock order is added). A job has as many rows as backends that ever changed it.
 * Cells are only inserted or deleted together with their job row (planning, import, job deletion), whose status and
 * updated_at are part of the key already, so INSERT and DELETE on executions need no trigger (and planning 100k cells
 * pays nothing). No foreign key: findings may name a job that no longer exists, and a bump must never fail a write.
 */
export class AnalysisVersions1796400000000 implements MigrationInterface {
  name = 'AnalysisVersions1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE job_analysis_versions (
        job_id  text NOT NULL,
        backend integer NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (job_id, backend)
      )`);
    await q.query(`
      CREATE FUNCTION beacon_bump_analysis_versions(job_ids text[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO job_analysis_versions AS v (job_id, backend, version)
        SELECT DISTINCT j, pg_backend_pid(), 1 FROM unnest(job_ids) AS j WHERE j IS NOT NULL
        ON CONFLICT (job_id, backend) DO UPDATE SET version = v.version + 1
      $$`);
    // A heartbeat (lease and updated_at only) changes nothing the analysis reads: no bump.
    await q.query(`
      CREATE FUNCTION beacon_executions_analysis_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM beacon_bump_analysis_versions(ARRAY(
          SELECT n.job_id FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE n.state IS DISTINCT FROM o.state OR n.classification IS DISTINCT FROM o.classification
              OR n.response IS DISTINCT FROM o.response OR n.job_id IS DISTINCT FROM o.job_id));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER executions_analysis_version AFTER UPDATE ON executions
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION beacon_executions_analysis_changed()`);
    // The analysis lists a job's open findings: a finding opened, reopened or resolved changes it; one seen again does not.
    await q.query(`
      CREATE FUNCTION beacon_findings_opened() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM beacon_bump_analysis_versions(ARRAY(SELECT job_id FROM new_rows));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER findings_analysis_version_insert AFTER INSERT ON reconciler_findings
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION beacon_findings_opened()`);
    await q.query(`
      CREATE FUNCTION beacon_findings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM beacon_bump_analysis_versions(ARRAY(
          SELECT n.job_id FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE (n.resolved_at IS NULL) <> (o.resolved_at IS NULL) OR n.job_id IS DISTINCT FROM o.job_id
          UNION ALL
          SELECT o.job_id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.job_id IS DISTINCT FROM o.job_id));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER findings_analysis_version_update AFTER UPDATE ON reconciler_findings
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION beacon_findings_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER findings_analysis_version_update ON reconciler_findings`);
    await q.query(`DROP TRIGGER findings_analysis_version_insert ON reconciler_findings`);
    await q.query(`DROP TRIGGER executions_analysis_version ON executions`);
    await q.query(`DROP FUNCTION beacon_findings_changed()`);
    await q.query(`DROP FUNCTION beacon_findings_opened()`);
    await q.query(`DROP FUNCTION beacon_executions_analysis_changed()`);
    await q.query(`DROP FUNCTION beacon_bump_analysis_versions(text[])`);
    await q.query(`DROP TABLE job_analysis_versions`);
  }
}
