import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security: the audit log of every mutating API call (accepted or refused), the nonces of signed job submissions
 * (unique per signing key, kept until their timestamp is too old to be accepted anyway), and an index for counting
 * a submitter's jobs in flight.
 */
export class Security1764600000000 implements MigrationInterface {
  name = 'Security1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at             timestamptz NOT NULL DEFAULT now(),
        principal      text NOT NULL,
        role           text,
        method         text NOT NULL,
        path           text NOT NULL,
        target_id      text,
        status         integer NOT NULL,
        error          text,
        remote_address text
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);
    await q.query(`CREATE INDEX audit_log_principal_idx ON audit_log (principal, at)`);

    await q.query(`
      CREATE TABLE spec_nonces (
        key_id      text NOT NULL,
        nonce       text NOT NULL,
        job_id      text NOT NULL,
        signed_at   timestamptz NOT NULL,
        expires_at  timestamptz NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (key_id, nonce)
      )`);
    await q.query(`CREATE INDEX spec_nonces_expiry_idx ON spec_nonces (expires_at)`);

    await q.query(`CREATE INDEX jobs_submitter_active_idx ON jobs (submitter) WHERE status IN ('queued','running')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_submitter_active_idx`);
    await q.query(`DROP TABLE spec_nonces`);
    await q.query(`DROP TABLE audit_log`);
  }
}
