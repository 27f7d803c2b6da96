import type { MigrationInterface, QueryRunner } from 'typeorm';

const LOG_TABLES = ['transparency_leaves', 'transparency_nodes', 'transparency_heads'] as const;

/**
 * The evidence log: an append-only Merkle tree (RFC 6962) of receipts, one per committed execution.
 * - `transparency_leaves`: leaf `leaf_index` is the receipt of `execution_id` (once: unique), its canonical JSON bytes
 *   (`bytea`, never `jsonb`, which would reorder keys) and SHA-256(0x00 ‖ receipt). No foreign key: the log outlives
 *   pruned jobs.
 * - `transparency_nodes`: the hash of every perfect subtree (2^level leaves from idx·2^level), level 0 included, so a
 *   proof is O(log n) row reads.
 * - `transparency_heads`: each signed tree head (a c2sp signed-note checkpoint) and the key id that signed it.
 * - `job_spec_signatures`: how a job's spec was signed when it was submitted, for its evidence bundle.
 * - `execution_attempts.response_model`: the model the provider said answered.
 * Triggers refuse UPDATE, DELETE and TRUNCATE of the log tables for every role but one that disables them (a
 * superuser or the owner); the reconciler's `transparency_log` rule and any witness's consistency check catch that.
 */
export class TransparencyLog1797200000000 implements MigrationInterface {
  name = 'TransparencyLog1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transparency_leaves (
        leaf_index   bigint PRIMARY KEY CHECK (leaf_index >= 0),
        execution_id bigint NOT NULL UNIQUE,
        job_id       text NOT NULL,
        receipt      bytea NOT NULL,
        leaf_hash    bytea NOT NULL CHECK (length(leaf_hash) = 32),
        appended_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX transparency_leaves_job_idx ON transparency_leaves (job_id, leaf_index)`);
    // `proof/inclusion?leaf=<hash>` finds a leaf by its hash, as CT's get-proof-by-hash does.
    await q.query(`CREATE INDEX transparency_leaves_hash_idx ON transparency_leaves (leaf_hash)`);
    await q.query(`
      CREATE TABLE transparency_nodes (
        level smallint NOT NULL CHECK (level >= 0 AND level < 64),
        idx   bigint NOT NULL CHECK (idx >= 0),
        hash  bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await q.query(`
      CREATE TABLE transparency_heads (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
        origin    text NOT NULL,
        key_id    text NOT NULL,
        note      text NOT NULL,
        signed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE transparency_logged_jobs (
        job_id    text PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        logged_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE job_spec_signatures (
        job_id     text PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        form       text NOT NULL CHECK (length(form) <= 40),
        key_id     text NOT NULL CHECK (length(key_id) <= 64),
        signed_ts  text NOT NULL CHECK (length(signed_ts) <= 64),
        nonce      text NOT NULL CHECK (length(nonce) <= 128),
        signature  text CHECK (length(signature) <= 200),
        public_key text CHECK (length(public_key) <= 200)
      )`);
    await q.query(`ALTER TABLE execution_attempts ADD COLUMN response_model text CHECK (length(response_model) <= 200)`);
    await q.query(`
      CREATE FUNCTION transparency_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the transparency log is append-only: % of % refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const t of LOG_TABLES) {
      await q.query(
        `CREATE TRIGGER ${t}_no_change BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION transparency_append_only()`,
      );
      await q.query(
        `CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION transparency_append_only()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of LOG_TABLES) await q.query(`DROP TABLE ${t}`);
    await q.query(`DROP FUNCTION transparency_append_only()`);
    await q.query(`DROP TABLE transparency_logged_jobs`);
    await q.query(`DROP TABLE job_spec_signatures`);
    await q.query(`ALTER TABLE execution_attempts DROP COLUMN response_model`);
  }
}
