import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications (issue 16, item 4): an outbox of findings to send to the configured sinks, and a log of every HTTP
 * attempt.
 * - `notification_outbox`: one row per (finding, sink), written in the statement that first inserts the finding (so no
 *   finding is lost and none is enqueued twice: UNIQUE (finding_id, sink_id)). `payload` is the event as it was then;
 *   `max_attempts` is the sink's setting then. A daemon leases a row to post it (`lease_owner`, `lease_token`,
 *   `lease_expires_at`, as on `executions`); every write after the claim names the token. `last_error` is redacted.
 * - `notification_deliveries`: one row per HTTP attempt, opened by the claim (`outcome` NULL while the POST is under
 *   way) and closed with its outcome by the daemon, or `lease_expired` by the claim that takes over from a daemon that
 *   stopped. `host` is the sink URL's host: a URL may be a secret and is never stored.
 * - `notification_outbox_due_idx`, `notification_outbox_lease_idx`: what a claim reads (due pending rows, expired leases).
 */
export class Notifications1796800000000 implements MigrationInterface {
  name = 'Notifications1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_outbox (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        finding_id       bigint NOT NULL REFERENCES reconciler_findings (id),
        sink_id          text NOT NULL,
        payload          jsonb NOT NULL,
        state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivering','delivered','dead')),
        attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts     integer NOT NULL CHECK (max_attempts >= 1),
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        lease_owner      text,
        lease_token      uuid,
        lease_expires_at timestamptz,
        last_error       text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        delivered_at     timestamptz,
        dead_at          timestamptz,
        UNIQUE (finding_id, sink_id),
        CHECK ((state = 'delivering') = (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
        CHECK ((state = 'dead') = (dead_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at, id) WHERE state = 'pending'`);
    await q.query(`CREATE INDEX notification_outbox_lease_idx ON notification_outbox (lease_expires_at) WHERE state = 'delivering'`);
    await q.query(`CREATE INDEX notification_outbox_sink_idx ON notification_outbox (sink_id, state)`);
    await q.query(`
      CREATE TABLE notification_deliveries (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        outbox_id   bigint NOT NULL REFERENCES notification_outbox (id),
        sink_id     text NOT NULL,
        host        text NOT NULL,
        attempt     integer NOT NULL CHECK (attempt >= 1),
        runner_id   text NOT NULL,
        lease_token uuid NOT NULL,
        started_at  timestamptz NOT NULL DEFAULT now(),
        ended_at    timestamptz,
        duration_ms integer CHECK (duration_ms >= 0),
        http_status integer,
        outcome     text CHECK (outcome IN ('delivered','retry','dead','fenced','lease_expired')),
        error       text,
        UNIQUE (outbox_id, attempt),
        CHECK ((outcome IS NULL) = (ended_at IS NULL))
      )`);
    await q.query(`CREATE INDEX notification_deliveries_sink_idx ON notification_deliveries (sink_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_deliveries`);
    await q.query(`DROP TABLE notification_outbox`);
  }
}
