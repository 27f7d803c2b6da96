import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schedules (issue 16, item 1):
 * - `schedules`: a named job spec (normalised, as its runs are planned) fired on a cadence — `every_ms` (ticks at whole
 *   multiples since the Unix epoch) or `cron` (UTC), exactly one — with its policies: `overlap` (what a tick does
 *   while the latest run is unfinished), `catch_up` (most missed ticks fired when a daemon comes back), retention
 *   (`keep_runs`, `keep_days`, NULL for no limit). `next_run_at` is the first tick not yet handled (NULL while
 *   paused); `runs` the last run's number. The name is the job-id charset, at most 100 characters, so that
 *   `<name>-<run>` is a job id.
 * - `schedule_ticks`: one row per handled tick, unique by (schedule_id, tick) for the cadence's ticks (manual runs are
 *   rows of their own): a tick is handled once whatever the number of daemons, since the row, the run's job and the schedule's advance are one transaction. A `missed` row stands for
 *   `missed_count` ticks from `tick` to `missed_until`, so a long outage writes one row, not one per tick.
 * - `jobs.schedule_id` / `jobs.schedule_run`: the schedule and run number a job was fired as (NULL for submitted
 *   jobs); a schedule's runs are unique by number.
 */
export class Schedules1796600000000 implements MigrationInterface {
  name = 'Schedules1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schedules (
        id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
        spec jsonb NOT NULL,
        spec_received text NOT NULL,
        spec_hash text NOT NULL,
        every_ms bigint CHECK (every_ms >= 1000),
        cron text,
        paused boolean NOT NULL DEFAULT false,
        overlap text NOT NULL DEFAULT 'skip' CHECK (overlap IN ('skip','queue')),
        catch_up integer NOT NULL DEFAULT 1 CHECK (catch_up >= 0),
        keep_runs integer CHECK (keep_runs >= 1),
        keep_days integer CHECK (keep_days >= 1),
        next_run_at timestamptz,
        runs integer NOT NULL DEFAULT 0 CHECK (runs >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((every_ms IS NULL) <> (cron IS NULL)),
        CHECK (paused OR next_run_at IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE NOT paused`);
    await q.query(`
      ALTER TABLE jobs
        ADD COLUMN schedule_id text REFERENCES schedules (id) ON DELETE SET NULL,
        ADD COLUMN schedule_run integer CHECK (schedule_run >= 1),
        ADD CONSTRAINT jobs_schedule_link_check CHECK ((schedule_id IS NULL) OR (schedule_run IS NOT NULL))`);
    await q.query(`CREATE UNIQUE INDEX jobs_schedule_run_idx ON jobs (schedule_id, schedule_run) WHERE schedule_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE schedule_ticks (
        id bigserial PRIMARY KEY,
        schedule_id text NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
        tick timestamptz NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('fired','skipped_overlap','queued','missed')),
        job_id text REFERENCES jobs (id) ON DELETE SET NULL,
        run integer,
        manual boolean NOT NULL DEFAULT false,
        missed_count integer CHECK (missed_count >= 1),
        missed_until timestamptz,
        missed_exact boolean,
        fired_at timestamptz NOT NULL DEFAULT now(),
        daemon text,
        CHECK ((outcome = 'missed') = (missed_count IS NOT NULL)),
        CHECK ((outcome IN ('fired','queued')) = (run IS NOT NULL))
      )`);
    // Cadence ticks are unique; a manual run (run-now) is a request of its own at the moment it was made.
    await q.query(`CREATE UNIQUE INDEX schedule_ticks_once_idx ON schedule_ticks (schedule_id, tick) WHERE NOT manual`);
    await q.query(`CREATE INDEX schedule_ticks_recent_idx ON schedule_ticks (schedule_id, tick DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE schedule_ticks`);
    await q.query(`DROP INDEX jobs_schedule_run_idx`);
    await q.query(`ALTER TABLE jobs DROP CONSTRAINT jobs_schedule_link_check, DROP COLUMN schedule_run, DROP COLUMN schedule_id`);
    await q.query(`DROP TABLE schedules`);
  }
}
