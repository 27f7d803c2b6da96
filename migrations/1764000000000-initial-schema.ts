import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first schema: jobs, one executions row per cell (the queue), one execution_attempts row per provider call,
 * and runners. Raw SQL only; constraints carry the invariants (one row per cell, a lease only while running,
 * finished_at exactly when terminal).
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        id                  text PRIMARY KEY,
        seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        format              text NOT NULL,
        spec_received       text NOT NULL,
        spec_hash           text NOT NULL,
        spec                jsonb NOT NULL,
        status              text NOT NULL DEFAULT 'queued'
                            CHECK (status IN ('queued','running','completed','partially_completed','failed','cancelled')),
        cells_expected      integer NOT NULL CHECK (cells_expected > 0),
        submitter           text,
        trace_id            text,
        traceparent         text,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        started_at          timestamptz,
        finished_at         timestamptz,
        cancel_requested_at timestamptz
      )`);
    await q.query(`CREATE INDEX jobs_newest_idx ON jobs (seq DESC)`);
    await q.query(`CREATE INDEX jobs_active_idx ON jobs (status) WHERE status IN ('queued','running')`);

    await q.query(`
      CREATE TABLE executions (
        id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id              text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        question_id         text NOT NULL,
        model_id            text NOT NULL,
        region              text NOT NULL,
        replicate           integer NOT NULL DEFAULT 0 CHECK (replicate >= 0),
        state               text NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending','running','succeeded','failed','cancelled')),
        priority            smallint NOT NULL DEFAULT 0,
        run_after           timestamptz NOT NULL DEFAULT now(),
        attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        failures            integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
        max_attempts        integer NOT NULL DEFAULT 4 CHECK (max_attempts > 0),
        lease_owner         text,
        lease_token         uuid,
        lease_expires_at    timestamptz,
        trace_id            text NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$'),
        result_attempt      integer,
        response            text,
        finish_reason       text,
        classification      text,
        classification_rule text,
        input_tokens        integer,
        output_tokens       integer,
        last_error          jsonb,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        started_at          timestamptz,
        finished_at         timestamptz,
        CONSTRAINT executions_cell_key UNIQUE (job_id, question_id, model_id, region, replicate),
        CONSTRAINT executions_lease_iff_running CHECK (
          (state = 'running') = (lease_token IS NOT NULL AND lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CONSTRAINT executions_finished_iff_terminal CHECK (
          (state IN ('succeeded','failed','cancelled')) = (finished_at IS NOT NULL)),
        CONSTRAINT executions_result_iff_succeeded CHECK ((state = 'succeeded') = (result_attempt IS NOT NULL))
      )`);
    // Claim path: only runnable rows are indexed, so the index stays small however large the history grows.
    await q.query(`CREATE INDEX executions_claim_idx ON executions (run_after, priority DESC, id) WHERE state = 'pending'`);
    await q.query(
      `CREATE INDEX executions_claim_key_idx ON executions (region, model_id, run_after, priority DESC, id) WHERE state = 'pending'`,
    );
    await q.query(`CREATE INDEX executions_lease_idx ON executions (lease_expires_at) WHERE state = 'running'`);
    await q.query(`CREATE INDEX executions_job_idx ON executions (job_id, id)`);
    await q.query(`CREATE INDEX executions_job_state_idx ON executions (job_id, state)`);

    await q.query(`
      CREATE TABLE execution_attempts (
        id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        execution_id        bigint NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        job_id              text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        attempt             integer NOT NULL CHECK (attempt > 0),
        runner_id           text NOT NULL,
        lease_token         uuid NOT NULL UNIQUE,
        started_at          timestamptz NOT NULL DEFAULT now(),
        ended_at            timestamptz,
        outcome             text CHECK (outcome IN ('succeeded','retryable_error','final_error','lease_expired',
                                                    'cancelled','fenced','released','deferred')),
        http_status         integer,
        error               jsonb,
        latency_ms          integer,
        input_tokens        integer,
        output_tokens       integer,
        usage               jsonb,
        endpoint            text,
        system_prompt       text NOT NULL,
        user_prompt         text NOT NULL,
        parameters          jsonb NOT NULL,
        prompt_hash         text NOT NULL,
        parameters_hash     text NOT NULL,
        response            text,
        finish_reason       text,
        upstream_request_id text,
        trace_id            text NOT NULL,
        span_id             text,
        CONSTRAINT execution_attempts_once UNIQUE (execution_id, attempt),
        CONSTRAINT execution_attempts_time_order CHECK (ended_at IS NULL OR ended_at >= started_at)
      )`);
    await q.query(`CREATE INDEX execution_attempts_job_idx ON execution_attempts (job_id, started_at)`);
    await q.query(`CREATE INDEX execution_attempts_started_idx ON execution_attempts (started_at)`);
    await q.query(`CREATE INDEX execution_attempts_open_idx ON execution_attempts (started_at) WHERE outcome IS NULL`);

    await q.query(`
      CREATE TABLE runners (
        id           text PRIMARY KEY,
        host         text NOT NULL,
        pid          integer NOT NULL,
        regions      text[],
        version      text NOT NULL,
        started_at   timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        stopped_at   timestamptz
      )`);
    await q.query(`CREATE INDEX runners_last_seen_idx ON runners (last_seen_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE runners`);
    await q.query(`DROP TABLE execution_attempts`);
    await q.query(`DROP TABLE executions`);
    await q.query(`DROP TABLE jobs`);
  }
}
