import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trend summaries (issue 16, items 2 and 5): one row per finished run (`trend_runs`) and one per cell of it
 * (`trend_points`: a (question, model, region) over its replicates), what `beacon trend` and `GET /api/v1/trends` read
 * instead of every execution of every run, and what stays of a run once retention has pruned its job.
 *
 * - No foreign key to `jobs`: a summary outlives its job. `trend_points` cascades from `trend_runs` only.
 * - `trend_runs.axes` is the run's spec axes (sorted question ids, models, regions) and `axes_hash` its md5: a series
 *   is only made of runs with the same axes, and the axes name what differs when they do not.
 * - `trend_runs.source_version` is the job's analysis version when the summary was written (the sum of its
 *   `job_analysis_versions` counters, bumped by triggers on every change to a cell's state, label or response): while
 *   the job exists, a summary whose version is behind (say, after `beacon classify --job`) is written again.
 * - Counts are per label; `responses` (replicates that succeeded with one of the five labels) is their sum, checked.
 * - `sample` is the response of the first labelled replicate, cut to 2,000 characters.
 */
export class Trends1796700000000 implements MigrationInterface {
  name = 'Trends1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trend_runs (
        job_id         text PRIMARY KEY,
        schedule_id    text NULL,
        created_at     timestamptz NOT NULL,
        status         text NOT NULL,
        axes           jsonb NOT NULL,
        axes_hash      text NOT NULL,
        source_version bigint NOT NULL,
        recorded_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX trend_runs_schedule_idx ON trend_runs (schedule_id, created_at) WHERE schedule_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE trend_points (
        job_id      text NOT NULL REFERENCES trend_runs (job_id) ON DELETE CASCADE,
        question_id text NOT NULL,
        model       text NOT NULL,
        region      text NOT NULL,
        category    text NULL,
        replicates  integer NOT NULL CHECK (replicates >= 0),
        responses   integer NOT NULL CHECK (responses >= 0 AND responses <= replicates),
        answered    integer NOT NULL CHECK (answered >= 0),
        partial     integer NOT NULL CHECK (partial >= 0),
        refused     integer NOT NULL CHECK (refused >= 0),
        empty       integer NOT NULL CHECK (empty >= 0),
        filtered    integer NOT NULL CHECK (filtered >= 0),
        label       text NULL CHECK (label IN ('answered','partial','refused','empty','filtered')),
        sample      text NULL CHECK (length(sample) <= 2000),
        PRIMARY KEY (job_id, question_id, model, region),
        CONSTRAINT trend_points_counts_sum CHECK (answered + partial + refused + empty + filtered = responses),
        CONSTRAINT trend_points_label_iff_responses CHECK ((label IS NULL) = (responses = 0))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE trend_points`);
    await q.query(`DROP TABLE trend_runs`);
  }
}
