import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job's deadline (issue 17, item 5): the spec's `constraints.timeout` (the old runner's, in nanoseconds) or
 * `timeout_ms`, counted from submission. `jobs.deadline_exceeded_at` is when the roll-up found it passed and cancelled
 * the job's pending cells (each with `last_error.kind = 'deadline_exceeded'`); running calls stop at their next
 * heartbeat as for a cancel, and the job ends `cancelled` with this stamp saying why.
 */
export class JobDeadline1797000000000 implements MigrationInterface {
  name = 'JobDeadline1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN deadline_exceeded_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN deadline_exceeded_at`);
  }
}
