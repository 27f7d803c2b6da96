import {
  axesDifference,
  isActiveJobStatus,
  isJobStatus,
  TREND_LABELS,
  type TrendAxes,
  type TrendLabel,
  type TrendPoint,
  type TrendRun,
} from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query.js';
import { CELL_SQL, TERMINAL_JOB_STATUSES_SQL } from './status-sql.js';

/** The most runs one series may have (`GET /api/v1/trends` answers 400 beyond it). */
export const MAX_TREND_RUNS = 1000;

/** How long a stored sample may be, in characters (the column's CHECK says the same). */
export const TREND_SAMPLE_CHARS = 2000;

/** A run of a series as read, before it has a place in it (`@beacon/analysis` `assembleTrendSeries` orders them). */
export type TrendRunRow = Omit<TrendRun, 'index'> & { axes: TrendAxes };

/** A point as read, before it has a run index and a similarity (`assembleTrendSeries` sets both). */
export type TrendPointRow = Omit<TrendPoint, 'runIndex' | 'similarityToPrevious'>;

/** Why a series cannot be read; `jobIds` names the jobs concerned. */
export class TrendSeriesError extends Error {
  constructor(
    readonly kind: 'unknown_jobs' | 'axes_differ' | 'too_many_runs' | 'no_runs',
    message: string,
    readonly jobIds: string[] = [],
  ) {
    super(message);
    this.name = 'TrendSeriesError';
  }
}

/** The schedule a job was fired by, as an SQL expression over `jobs j` (kept on its summary when the job is pruned). */
const SCHEDULE_OF_JOB_SQL = 'j.schedule_id';

const LABELS_SQL = `(${TREND_LABELS.map((l) => `'${l}'`).join(', ')})`;

/** SQL predicate over an executions row `x`: it succeeded with one of the five labels (the current label, `executions.classification`, which every view of a cell shows). */
const labelled = (x: string) => `(${x}.state = ${CELL_SQL.succeeded} AND ${x}.classification IN ${LABELS_SQL})`;

/** A jsonb array of one spec axis's ids, sorted in code-unit order, from the spec when it lists the axis, else from the cells. */
function axisSql(specKey: string, column: string): string {
  return `CASE WHEN jsonb_typeof(j.spec->'${specKey}') = 'array'
            THEN (SELECT coalesce(jsonb_agg(d.v ORDER BY d.v COLLATE "C"), '[]'::jsonb)
                    FROM (SELECT DISTINCT x->>'id' AS v FROM jsonb_array_elements(j.spec->'${specKey}') x) d)
            ELSE (SELECT coalesce(jsonb_agg(d.v ORDER BY d.v COLLATE "C"), '[]'::jsonb)
                    FROM (SELECT DISTINCT e.${column} AS v FROM executions e WHERE e.job_id = j.id) d)
          END`;
}

/** A run's summary row from `jobs j` (for jobs matching `where`): what `trend_runs` stores, and what a live read shows. */
function runSourceSql(where: string): string {
  return `SELECT j.id AS job_id, ${SCHEDULE_OF_JOB_SQL} AS schedule_id, j.created_at, j.status, a.axes, md5(a.axes::text) AS axes_hash,
                 (SELECT coalesce(sum(v.version), 0) FROM job_analysis_versions v WHERE v.job_id = j.id)::bigint AS source_version
            FROM jobs j
           CROSS JOIN LATERAL (SELECT jsonb_build_object('questions', ${axisSql('questions', 'question_id')},
                                                         'models', ${axisSql('models', 'model_id')},
                                                         'regions', ${axisSql('regions', 'region')})
                                      -- Variants only for a spec that has them, so the axes (and their hash) of every
                                      -- other run are what they were.
                                      || CASE WHEN jsonb_typeof(j.spec->'variants') = 'array'
                                              THEN jsonb_build_object('variants', ${axisSql('variants', 'variant')})
                                              ELSE '{}'::jsonb END AS axes) a
           WHERE ${where}`;
}

/**
 * The points of the jobs `$jobs` (a text[] expression), one per (job, question, model, region, variant) over its replicates
 * (superseded duplicate copies left out), filtered to question `$question` when that is not null: counts per label
 * of the replicates that succeeded with a label, the majority label (ties: refused, partial, filtered, empty,
 * answered, as `majorityLabel` of `@beacon/analysis`), the category from the job's spec, and the sample: the first
 * labelled replicate's response cut to {@link TREND_SAMPLE_CHARS} (by id from the aggregate, then one key lookup).
 */
function pointSourceSql(jobs: string, question: string): string {
  const count = (label: TrendLabel) => `count(*) FILTER (WHERE ${labelled('e')} AND e.classification = '${label}')::int AS ${label}`;
  return `WITH cats AS MATERIALIZED (
            SELECT j.id AS job_id, q->>'id' AS question_id, min(q->>'category') AS category
              FROM jobs j CROSS JOIN LATERAL jsonb_array_elements(
                     CASE WHEN jsonb_typeof(j.spec->'questions') = 'array' THEN j.spec->'questions' ELSE '[]'::jsonb END) q
             WHERE j.id = ANY(${jobs})
             GROUP BY 1, 2),
          c AS (
            SELECT e.job_id, e.question_id, e.model_id AS model, e.region, e.variant, count(*)::int AS replicates,
                   count(*) FILTER (WHERE ${labelled('e')})::int AS responses,
                   ${TREND_LABELS.map(count).join(', ')},
                   (array_agg(e.id ORDER BY e.replicate, e.id) FILTER (WHERE ${labelled('e')}))[1] AS sample_id
              FROM executions e
             WHERE e.job_id = ANY(${jobs}) AND e.superseded_by IS NULL AND (${question}::text IS NULL OR e.question_id = ${question})
             GROUP BY 1, 2, 3, 4, 5)
          SELECT c.job_id, c.question_id, c.model, c.region, c.variant, cats.category, c.replicates, c.responses,
                 c.answered, c.partial, c.refused, c.empty, c.filtered,
                 CASE WHEN c.responses = 0 THEN NULL
                      WHEN c.refused = g.top THEN 'refused' WHEN c.partial = g.top THEN 'partial'
                      WHEN c.filtered = g.top THEN 'filtered' WHEN c.empty = g.top THEN 'empty' ELSE 'answered' END AS label,
                 (SELECT left(x.response, ${TREND_SAMPLE_CHARS}) FROM executions x WHERE x.id = c.sample_id) AS sample
            FROM c
            CROSS JOIN LATERAL (SELECT greatest(c.answered, c.partial, c.refused, c.empty, c.filtered) AS top) g
            LEFT JOIN cats ON cats.job_id = c.job_id AND cats.question_id = c.question_id`;
}

const POINT_COLUMNS =
  'job_id, question_id, model, region, variant, category, replicates, responses, answered, partial, refused, empty, filtered, label, sample';

/** A run row as the driver returns it. */
interface RunRow {
  job_id: string;
  schedule_id: string | null;
  created_at: Date;
  status: string;
  axes: TrendAxes;
  axes_hash: string;
}

/** A point row as the driver returns it (`label` one of the five, checked by the table). */
interface PointRow {
  job_id: string;
  question_id: string;
  model: string;
  region: string;
  variant: string;
  category: string | null;
  replicates: number;
  responses: number;
  answered: number;
  partial: number;
  refused: number;
  empty: number;
  filtered: number;
  label: string | null;
  sample: string | null;
}

/** What {@link TrendRepository.series} reads before assembling: a job's presence, status and summary's freshness. */
interface MetaRow {
  id: string;
  status: string | null;
  recorded: boolean;
  source_version: string | null;
  version: string;
}

/**
 * Trend summaries: `trend_runs` and `trend_points` (see the trends migration), written from the executions of finished
 * jobs and read as series. A summary is written lazily: by {@link series} for the finished jobs it reads whose summary
 * is missing or behind their cells (relabelled since), and by retention before it deletes a job. Nothing on the
 * engine's path writes one, so a job that ends costs the engine nothing, and a summary never lags behind a
 * relabelling while its job exists.
 */
export class TrendRepository {
  constructor(private readonly ds: DataSource | EntityManager) {}

  /**
   * Writes (or rewrites) the summaries of those of `jobIds` that exist and have finished, in one statement: the run
   * rows and every point, upserted, so running it twice, or two daemons at once, leaves the same rows. Jobs still
   * queued or running, and unknown ids, are left out. Returns how many runs and points were written.
   */
  async recordJobs(jobIds: readonly string[]): Promise<{ runs: number; points: number }> {
    if (jobIds.length === 0) return { runs: 0, points: 0 };
    const [row] = await queryRows<{ runs: number; points: number }>(
      this.ds,
      `WITH src AS MATERIALIZED (${runSourceSql(`j.id = ANY($1::text[]) AND j.status IN ${TERMINAL_JOB_STATUSES_SQL}`)}),
       runs AS (
         INSERT INTO trend_runs (job_id, schedule_id, created_at, status, axes, axes_hash, source_version)
         SELECT job_id, schedule_id, created_at, status, axes, axes_hash, source_version FROM src ORDER BY job_id
         ON CONFLICT (job_id) DO UPDATE
           SET schedule_id = coalesce(EXCLUDED.schedule_id, trend_runs.schedule_id), created_at = EXCLUDED.created_at, status = EXCLUDED.status,
               axes = EXCLUDED.axes, axes_hash = EXCLUDED.axes_hash, source_version = EXCLUDED.source_version, recorded_at = now()
         RETURNING job_id),
       points AS (
         INSERT INTO trend_points (${POINT_COLUMNS})
         SELECT ${POINT_COLUMNS} FROM (${pointSourceSql('ARRAY(SELECT job_id FROM src)', 'NULL')}) p
          ORDER BY job_id, question_id, model, region, variant
         ON CONFLICT (job_id, question_id, model, region, variant) DO UPDATE
           SET category = EXCLUDED.category, replicates = EXCLUDED.replicates, responses = EXCLUDED.responses,
               answered = EXCLUDED.answered, partial = EXCLUDED.partial, refused = EXCLUDED.refused, empty = EXCLUDED.empty,
               filtered = EXCLUDED.filtered, label = EXCLUDED.label, sample = EXCLUDED.sample
         RETURNING 1)
       SELECT (SELECT count(*) FROM runs)::int AS runs, (SELECT count(*) FROM points)::int AS points`,
      [jobIds],
    );
    return row ?? { runs: 0, points: 0 };
  }

  /**
   * The runs and points of the series of `jobIds` (at most {@link MAX_TREND_RUNS}), with only question `question`'s
   * points when given. Finished jobs are read from their summaries, written first where missing or behind; pruned
   * jobs from the summaries they left; queued and running jobs live from their cells, unrecorded. Throws
   * {@link TrendSeriesError}: `unknown_jobs` for ids that are neither a job nor a summary, `axes_differ` naming the
   * first run (in series order) whose questions, models or regions differ from the first run's and how,
   * `too_many_runs`, `no_runs`.
   */
  async series(jobIds: readonly string[], question: string | null = null): Promise<{ runs: TrendRunRow[]; points: TrendPointRow[] }> {
    const ids = [...new Set(jobIds)];
    if (ids.length === 0) throw new TrendSeriesError('no_runs', 'a series needs at least one job');
    if (ids.length > MAX_TREND_RUNS)
      throw new TrendSeriesError('too_many_runs', `a series has at most ${MAX_TREND_RUNS} runs; ${ids.length} were asked for`);
    const meta = await queryRows<MetaRow>(
      this.ds,
      `SELECT x.id, j.status, t.job_id IS NOT NULL AS recorded, t.source_version::text AS source_version,
              (SELECT coalesce(sum(v.version), 0) FROM job_analysis_versions v WHERE v.job_id = x.id)::text AS version
         FROM unnest($1::text[]) WITH ORDINALITY AS x(id, n)
         LEFT JOIN jobs j ON j.id = x.id
         LEFT JOIN trend_runs t ON t.job_id = x.id
        ORDER BY x.n`,
      [ids],
    );
    const unknown = meta.filter((m) => m.status === null && !m.recorded).map((m) => m.id);
    if (unknown.length)
      throw new TrendSeriesError(
        'unknown_jobs',
        `no job or trend summary with id ${unknown.map((u) => JSON.stringify(u)).join(', ')}`,
        unknown,
      );
    const live = meta.filter((m) => m.status !== null && isJobStatus(m.status) && isActiveJobStatus(m.status)).map((m) => m.id);
    const liveSet = new Set(live);
    const stale = meta.filter((m) => m.status !== null && !liveSet.has(m.id) && (!m.recorded || m.source_version !== m.version));
    if (stale.length) await this.recordJobs(stale.map((m) => m.id));
    const stored = ids.filter((id) => !liveSet.has(id));

    const runRows = await queryRows<RunRow>(
      this.ds,
      `SELECT job_id, schedule_id, created_at, status, axes, axes_hash FROM trend_runs WHERE job_id = ANY($1::text[])
       UNION ALL
       SELECT job_id, schedule_id, created_at, status, axes, axes_hash FROM (${runSourceSql('j.id = ANY($2::text[])')}) l`,
      [stored, live],
    );
    const runs = runRows
      .map((r): TrendRunRow => ({
        jobId: r.job_id,
        scheduleId: r.schedule_id,
        createdAt: r.created_at.toISOString(),
        status: r.status,
        axes: r.axes,
      }))
      .sort((a, b) => cmp(a.createdAt, b.createdAt) || cmp(a.jobId, b.jobId));
    checkAxes(runs, new Map(runRows.map((r) => [r.job_id, r.axes_hash])));

    const pointRows = await queryRows<PointRow>(
      this.ds,
      `SELECT ${POINT_COLUMNS} FROM trend_points WHERE job_id = ANY($1::text[]) AND ($3::text IS NULL OR question_id = $3)
       UNION ALL
       SELECT ${POINT_COLUMNS} FROM (${pointSourceSql('$2::text[]', '$3')}) l`,
      [stored, live, question],
    );
    return { runs, points: pointRows.map(pointOf) };
  }
}

/** Every run must have the first run's axes; the first that does not is named with the difference. */
function checkAxes(runs: TrendRunRow[], hashes: Map<string, string>): void {
  const [first, ...rest] = runs;
  if (!first) return;
  for (const r of rest) {
    if (hashes.get(r.jobId) === hashes.get(first.jobId)) continue;
    const how = axesDifference(first.axes, r.axes) ?? 'in the order of its axes';
    throw new TrendSeriesError(
      'axes_differ',
      `job ${JSON.stringify(r.jobId)} is not a run of the same spec as ${JSON.stringify(first.jobId)}: ${how}`,
      [r.jobId],
    );
  }
}

function pointOf(r: PointRow): TrendPointRow {
  return {
    jobId: r.job_id,
    questionId: r.question_id,
    model: r.model,
    region: r.region,
    ...(r.variant ? { variant: r.variant } : {}),
    category: r.category,
    replicates: r.replicates,
    responses: r.responses,
    counts: { answered: r.answered, partial: r.partial, refused: r.refused, empty: r.empty, filtered: r.filtered },
    label: r.label as TrendLabel | null,
    sample: r.sample,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which jobs make up a schedule's series: the jobs it fired (`jobs.schedule_id`) and the summaries of those retention
 * has pruned (`trend_runs.schedule_id`), oldest first (by creation time, then job id, as the series orders them).
 */
export class SeriesResolver {
  constructor(private readonly ds: DataSource | EntityManager) {}

  /** The job ids of the schedule's runs, oldest first; the newest `last` when given. Empty when it has none. */
  async forSchedule(scheduleId: string, last: number = MAX_TREND_RUNS + 1): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `SELECT id FROM (
         SELECT id, created_at FROM (
           SELECT id, created_at FROM jobs WHERE schedule_id = $1
           UNION
           SELECT job_id, created_at FROM trend_runs WHERE schedule_id = $1) x
          ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2) r
        ORDER BY created_at, id COLLATE "C"`,
      [scheduleId, last],
    );
    return rows.map((r) => r.id);
  }
}
