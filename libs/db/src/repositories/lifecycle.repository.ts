import { DEFAULT_MIN_SUCCESS_RATE, isActiveJobStatus, type JobRollupInput, type JobStatus, type NormalisedJobSpec } from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query.js';
import { WORK_CHANNEL } from '../live/live-listener.js';
import { ACTIVE_JOB_STATUSES_SQL, CELL_SQL, JOB_SQL, OUTCOME_SQL, parseJobStatus } from './status-sql.js';

/** The facts a job's status is rolled up from. */
export interface ActiveJobFacts extends JobRollupInput {
  jobId: string;
  status: JobStatus;
}

/** Outcome of a cancel request: nothing when the job does not exist. */
export type CancelOutcome = { found: false } | CancelledJob;

/** A cancel request's effect on a job that exists (none on one already finished). */
export interface CancelledJob {
  found: true;
  previousStatus: JobStatus;
  pendingCancelled: number;
  running: number;
  /** The cancelled pending cells by region and model. */
  cancelledByKey: { region: string; modelId: string; count: number }[];
}

/** What a re-run of a job's failed cells did: nothing when the job does not exist. */
export type RerunOutcome =
  | { found: false }
  | {
      found: true;
      previousStatus: JobStatus;
      /** Why nothing could be re-run, if so: the job was cancelled (or passed its deadline) or ran out of its max_cost. */
      refused: 'cancelled' | 'budget_exhausted' | null;
      /** The cells put back to the queue, in id order. */
      cellIds: string[];
    };

/** A job's pause after a pause or resume request: nothing when the job does not exist. */
export type JobPauseOutcome =
  { found: false } | { found: true; status: JobStatus; pausedAt: Date | null; pausedBy: string | null; changed: boolean };

/** The columns {@link ROLLUP_FACTS_COLUMNS} adds to a row, as the driver returns them (`by_state`: jsonb, state → count). */
export interface RollupFactsRow {
  cancelled: boolean;
  min_regions: number;
  min_success_rate: number;
  by_state: Record<string, number>;
  succeeded_regions: number;
  started: boolean;
  budget_exhausted: boolean;
}

/**
 * The roll-up facts of `jobs j` as columns (with {@link ROLLUP_FACTS_JOIN} in the FROM clause), for every statement
 * that rolls a job's status up or checks it: the daemons' roll-up here, the reconciler's `job_status_inconsistent`.
 * Constraints missing from an old spec take the defaults the spec reader gives new ones.
 */
export const ROLLUP_FACTS_COLUMNS = `j.cancel_requested_at IS NOT NULL AS cancelled,
              coalesce((j.spec->'constraints'->>'minRegions')::int, 1) AS min_regions,
              coalesce((j.spec->'constraints'->>'minSuccessRate')::float8, ${DEFAULT_MIN_SUCCESS_RATE}) AS min_success_rate,
              c.by_state, c.succeeded_regions, c.started, j.budget_exhausted_at IS NOT NULL AS budget_exhausted`;

/** The FROM-clause part of {@link ROLLUP_FACTS_COLUMNS}: the job's cells counted by state, once per job. */
export const ROLLUP_FACTS_JOIN = `CROSS JOIN LATERAL (
           SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb) AS by_state,
                  coalesce(max(s.regions), 0) AS succeeded_regions, coalesce(bool_or(s.started), false) AS started
             FROM (SELECT state, count(*)::int AS n, bool_or(attempts > 0) AS started,
                          count(DISTINCT region) FILTER (WHERE state = ${CELL_SQL.succeeded})::int AS regions
                     FROM executions e WHERE e.job_id = j.id GROUP BY state) s) c`;

/** The roll-up input of a row selected with {@link ROLLUP_FACTS_COLUMNS}. */
export function rollupFacts(r: RollupFactsRow): JobRollupInput {
  return {
    cancelled: r.cancelled,
    counts: r.by_state,
    succeededRegions: r.succeeded_regions,
    started: r.started,
    minRegions: r.min_regions,
    minSuccessRate: r.min_success_rate,
    budgetExhausted: r.budget_exhausted,
  };
}

/**
 * The spec's axes of `jobs j` as arrays (`s.qs`, `s.ms`, `s.rs`, `s.reps`), computed once per job rather than a JSON
 * walk per cell: the body of a CTE `s`, for jobs matching `where` whose spec lists its axes as arrays (a job whose
 * spec does not cannot be checked cell by cell, so none of its cells is called out of spec).
 */
export function specAxesSql(where: string): string {
  return `SELECT j.id,
                ARRAY(SELECT x->>'id' FROM jsonb_array_elements(j.spec->'questions') x) AS qs,
                ARRAY(SELECT x->>'id' FROM jsonb_array_elements(j.spec->'models') x) AS ms,
                ARRAY(SELECT x->>'id' FROM jsonb_array_elements(j.spec->'regions') x) AS rs,
                -- A spec without variants has the one default variant ''.
                CASE WHEN jsonb_typeof(j.spec->'variants') = 'array'
                     THEN ARRAY(SELECT x->>'id' FROM jsonb_array_elements(j.spec->'variants') x)
                     ELSE ARRAY['']::text[] END AS vs,
                coalesce((j.spec->>'repeats')::int, 1) AS reps
           FROM jobs j
          WHERE ${where} AND jsonb_typeof(j.spec->'questions') = 'array'
            AND jsonb_typeof(j.spec->'models') = 'array' AND jsonb_typeof(j.spec->'regions') = 'array'`;
}

/**
 * SQL predicate over `e`: an imported batch-mode row, which the Go runner ran with all of the job's questions in one
 * prompt (no question of its own; `question_id` is `(batch)`).
 */
export const BATCH_MODE_ROW = '(e.imported AND e.legacy_question_id IS NULL)';

/**
 * What "in spec" means for a cell `e` of a job whose axes are `s` ({@link specAxesSql}), axis by axis. A question of an
 * imported batch-mode row ({@link BATCH_MODE_ROW}) counts as listed: the row stands for every question of the spec
 * at its model, region and replicate (the `missing_cells` rule counts it so; `batch_mode` reports that it is one).
 */
export const IN_SPEC = {
  question: `(${BATCH_MODE_ROW} OR e.question_id = ANY(s.qs))`,
  model: 'e.model_id = ANY(s.ms)',
  region: 'e.region = ANY(s.rs)',
  variant: 'e.variant = ANY(s.vs)',
  replicate: 'e.replicate < s.reps',
} as const;

/** SQL predicate over `e` and `s`: the cell is outside its job's frozen spec (the `out_of_spec` rule's definition). */
export const OUT_OF_SPEC = `NOT (${IN_SPEC.question} AND ${IN_SPEC.model} AND ${IN_SPEC.region} AND ${IN_SPEC.variant} AND ${IN_SPEC.replicate})`;

/**
 * Job lifecycle: specs for workers, status roll-up, cancellation, and the reconciler's repairs that cancel or
 * supersede cells. Runs on a DataSource, or on a transaction's EntityManager when the caller writes more in the same
 * transaction.
 */
export class LifecycleRepository {
  constructor(private readonly ds: DataSource | EntityManager) {}

  /** The normalised spec of a job (prompt template, questions, parameters) and its submission's traceparent, or null. */
  async jobSpec(jobId: string): Promise<{ spec: NormalisedJobSpec; traceparent: string | null } | null> {
    const rows = await queryRows<{ spec: NormalisedJobSpec; traceparent: string | null }>(
      this.ds,
      'SELECT spec, traceparent FROM jobs WHERE id = $1',
      [jobId],
    );
    const row = rows[0];
    return row ? { spec: row.spec, traceparent: row.traceparent } : null;
  }

  /** Counts of every job that is not finished yet (or finished but changed since), for the status roll-up. */
  async activeJobs(): Promise<ActiveJobFacts[]> {
    const rows = await queryRows<RollupFactsRow & { id: string; status: string }>(
      this.ds,
      `SELECT j.id, j.status, ${ROLLUP_FACTS_COLUMNS}
         FROM jobs j
         ${ROLLUP_FACTS_JOIN}
        WHERE j.status IN ${ACTIVE_JOB_STATUSES_SQL}`,
    );
    return rows.map((r) => ({ jobId: r.id, status: parseJobStatus(r.status), ...rollupFacts(r) }));
  }

  /** Moves a job to `status` if it is still active; stamps started / finished times. */
  async setStatus(jobId: string, status: JobStatus, terminal: boolean): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `UPDATE jobs SET status = $2, updated_at = now(),
              started_at = CASE WHEN $2 <> ${JOB_SQL.queued} THEN coalesce(started_at, now()) ELSE started_at END,
              finished_at = CASE WHEN $3 THEN now() ELSE NULL END
        WHERE id = $1 AND status IN ${ACTIVE_JOB_STATUSES_SQL} AND status <> $2
       RETURNING id`,
      [jobId, status, terminal],
    );
    return rows.length > 0;
  }

  /**
   * What a job's calls cost so far: the sum of its attempts' known `cost_usd` (null when none is known), and how many
   * calls with an answer (or token counts) have no known cost.
   */
  async jobCost(jobId: string): Promise<{ usd: number | null; unknownCalls: number }> {
    const [row] = await queryRows<{ usd: string | null; unknown: number }>(
      this.ds,
      `SELECT sum(a.cost_usd) AS usd,
              count(*) FILTER (WHERE a.cost_usd IS NULL AND (a.outcome = ${OUTCOME_SQL.succeeded} OR a.input_tokens IS NOT NULL
                                                             OR a.output_tokens IS NOT NULL))::int AS unknown
         FROM execution_attempts a WHERE a.job_id = $1`,
      [jobId],
    );
    return { usd: row?.usd == null ? null : Number(row.usd), unknownCalls: row?.unknown ?? 0 };
  }

  /** Marks a job cancelled-requested and cancels its pending cells; running cells stop at their next heartbeat. */
  async cancel(jobId: string): Promise<CancelOutcome> {
    return this.ds.transaction(async (tx) => {
      const jobs = await queryRows<{ previous: string }>(
        tx,
        `UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
          WHERE id = $1 RETURNING (SELECT status FROM jobs WHERE id = $1) AS previous`,
        [jobId],
      );
      if (jobs.length === 0) return { found: false };
      const previous = parseJobStatus(jobs[0]!.previous);
      if (!isActiveJobStatus(previous))
        return { found: true, previousStatus: previous, pendingCancelled: 0, running: 0, cancelledByKey: [] };
      const byKey = await queryRows<{ region: string; model_id: string; n: number }>(
        tx,
        `WITH c AS (UPDATE executions SET state = ${CELL_SQL.cancelled}, finished_at = now(), updated_at = now()
                     WHERE job_id = $1 AND state = ${CELL_SQL.pending} RETURNING region, model_id)
         SELECT region, model_id, count(*)::int AS n FROM c GROUP BY 1, 2`,
        [jobId],
      );
      const cancelledByKey = byKey.map((r) => ({ region: r.region, modelId: r.model_id, count: r.n }));
      const pending = { n: cancelledByKey.reduce((a, k) => a + k.count, 0) };
      const [running] = await queryRows<{ n: number }>(
        tx,
        `SELECT count(*)::int AS n FROM executions WHERE job_id = $1 AND state = ${CELL_SQL.running}`,
        [jobId],
      );
      if (running!.n === 0) {
        await queryRows(tx, `UPDATE jobs SET status = ${JOB_SQL.cancelled}, finished_at = now(), updated_at = now() WHERE id = $1`, [
          jobId,
        ]);
      }
      return { found: true, previousStatus: previous, pendingCancelled: pending.n, running: running!.n, cancelledByKey };
    });
  }

  /**
   * Re-runs failed cells of a job: every failed cell (`cellIds` null) or those of `cellIds` that are failed. In one
   * statement, under a lock of the job row (so a cancel cannot interleave):
   *
   * - each such cell goes `failed → pending` with a fresh attempt budget (`failures` and `lease_losses` back to 0),
   *   `reruns + 1`, due now; `attempts` keeps counting, so the new calls get new attempt numbers and the attempt rows
   *   of earlier calls are kept untouched;
   * - the job goes back to `running` (`finished_at` cleared) if it had ended, so the roll-up decides its status again
   *   once the cells end; a job still running stays so;
   * - work is announced on the `beacon_work` channel.
   *
   * Invariants: a cell still has at most one committed result (only failed cells, which have none, are re-run; a
   * succeeded cell is never touched); a cancelled job (or one past its deadline, which is a cancel) and a job stopped by
   * its max_cost are refused and changed in nothing; a superseded copy is not re-run. Re-running twice is harmless:
   * the second finds no failed cell.
   */
  async rerunFailed(jobId: string, cellIds: string[] | null): Promise<RerunOutcome> {
    const [row] = await queryRows<{ previous: string; cancelled: boolean; over_budget: boolean; ids: string[]; notified: number }>(
      this.ds,
      `WITH job AS (
         SELECT id, status, cancel_requested_at IS NOT NULL AS cancelled, budget_exhausted_at IS NOT NULL AS over_budget
           FROM jobs WHERE id = $1 FOR NO KEY UPDATE),
       cells AS (
         UPDATE executions e
            SET state = ${CELL_SQL.pending}, failures = 0, lease_losses = 0, reruns = e.reruns + 1, run_after = now(),
                finished_at = NULL, last_error = NULL, updated_at = now()
           FROM job j
          WHERE e.job_id = j.id AND e.state = ${CELL_SQL.failed} AND e.superseded_by IS NULL
            AND NOT j.cancelled AND NOT j.over_budget
            AND ($2::bigint[] IS NULL OR e.id = ANY($2::bigint[]))
          RETURNING e.id),
       reopened AS (
         UPDATE jobs SET status = ${JOB_SQL.running}, finished_at = NULL, updated_at = now(),
                started_at = coalesce(started_at, now())
          WHERE id = $1 AND EXISTS (SELECT 1 FROM cells)
          RETURNING id)
       SELECT j.status AS previous, j.cancelled, j.over_budget,
              coalesce((SELECT array_agg(c.id::text ORDER BY c.id) FROM cells c), '{}') AS ids,
              (SELECT count(pg_notify('${WORK_CHANNEL}', r.id)) FROM reopened r)::int AS notified
         FROM job j`,
      [jobId, cellIds],
    );
    if (!row) return { found: false };
    return {
      found: true,
      previousStatus: parseJobStatus(row.previous),
      refused: row.cancelled ? 'cancelled' : row.over_budget ? 'budget_exhausted' : null,
      cellIds: row.ids,
    };
  }

  /**
   * Pauses (`paused` true) or resumes a job, in one statement. A paused job's cells are not claimed by any daemon
   * (`QueueRepository.claim`) and cells claimed ahead but not called yet are not called (`startAttempts`, after which
   * their daemon hands them back); calls in flight finish. Only an active job is paused; resuming works on any and
   * announces work. The first pause's time and principal stay while it is paused. `changed` is false when the job was
   * already in the asked state (or, for a pause, had finished).
   */
  async setJobPaused(jobId: string, paused: boolean, by: string): Promise<JobPauseOutcome> {
    const [row] = await queryRows<{ status: string; paused_at: Date | null; paused_by: string | null; changed: boolean }>(
      this.ds,
      `WITH job AS (SELECT id, status, paused_at, paused_by FROM jobs WHERE id = $1 FOR NO KEY UPDATE),
       changed AS (
         UPDATE jobs j
            SET paused_at = CASE WHEN $2 THEN now() ELSE NULL END, paused_by = CASE WHEN $2 THEN $3 ELSE NULL END,
                updated_at = now()
           FROM job
          WHERE j.id = job.id AND (job.paused_at IS NULL) = $2 AND (NOT $2 OR job.status IN ${ACTIVE_JOB_STATUSES_SQL})
          RETURNING j.id, j.paused_at, j.paused_by)
       SELECT job.status, CASE WHEN c.id IS NULL THEN job.paused_at ELSE c.paused_at END AS paused_at,
              CASE WHEN c.id IS NULL THEN job.paused_by ELSE c.paused_by END AS paused_by, c.id IS NOT NULL AS changed,
              -- A resumed job's cells are claimable again: wake every daemon.
              (SELECT count(pg_notify('${WORK_CHANNEL}', x.id)) FROM changed x WHERE NOT $2)::int AS notified
         FROM job LEFT JOIN changed c ON true`,
      [jobId, paused, by],
    );
    if (!row) return { found: false };
    return { found: true, status: parseJobStatus(row.status), pausedAt: row.paused_at, pausedBy: row.paused_by, changed: row.changed };
  }

  /**
   * Ends the jobs past their deadline (`spec.constraints.timeoutMs` after submission) as a cancel does, in one
   * statement: stamps `deadline_exceeded_at` and `cancel_requested_at` (the first stamps stay), and cancels their
   * pending cells with `last_error.kind = 'deadline_exceeded'`. Running calls stop at their next heartbeat (they see the
   * cancel); the roll-up then ends the job `cancelled`. Returns the ids of the jobs stopped now.
   */
  async expireDeadlines(): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `WITH due AS (
         UPDATE jobs j SET deadline_exceeded_at = now(), cancel_requested_at = coalesce(j.cancel_requested_at, now()), updated_at = now()
          WHERE j.status IN ${ACTIVE_JOB_STATUSES_SQL} AND j.deadline_exceeded_at IS NULL
            -- The Go runner's zero duration means no timeout.
            AND (j.spec->'constraints'->>'timeoutMs')::double precision > 0
            AND j.created_at + make_interval(secs => (j.spec->'constraints'->>'timeoutMs')::double precision / 1000) <= now()
          RETURNING j.id, (j.spec->'constraints'->>'timeoutMs') AS timeout_ms),
       closed AS (
         UPDATE executions e SET state = ${CELL_SQL.cancelled}, finished_at = now(), updated_at = now(),
                last_error = jsonb_build_object('kind', 'deadline_exceeded',
                                                'message', 'the job passed its deadline (constraints.timeout ' || d.timeout_ms || ' ms)')
           FROM due d
          WHERE e.job_id = d.id AND e.state = ${CELL_SQL.pending})
       SELECT id FROM due`,
    );
    return rows.map((r) => r.id);
  }

  /**
   * Cancels the pending cells of active jobs whose cancel was requested: a retry, release or reap of a call that was in
   * flight when the cancel came puts its cell back to pending after {@link cancel} closed the others. The claim never
   * takes such a cell; the roll-up runs this before deciding, so a cancelled job ends with no cell left pending.
   * Returns the job ids touched.
   */
  async closeCancelled(): Promise<string[]> {
    const rows = await queryRows<{ job_id: string }>(
      this.ds,
      `UPDATE executions e SET state = ${CELL_SQL.cancelled}, finished_at = now(), updated_at = now()
         FROM jobs j
        WHERE j.id = e.job_id AND j.cancel_requested_at IS NOT NULL AND j.status IN ${ACTIVE_JOB_STATUSES_SQL}
          AND e.state = ${CELL_SQL.pending}
       RETURNING e.job_id`,
    );
    return [...new Set(rows.map((r) => r.job_id))];
  }

  /**
   * Stops jobs over their `max_cost`, in one statement: stamps `budget_exhausted_at` on `jobs` (the first stamp
   * stays) with `reasons` (one per job, kept in each closed cell's `last_error`), and cancels their pending cells
   * with `last_error.kind = 'budget_exhausted'`. With `jobIds` null, it closes the pending cells of every active job
   * already stamped (a retry scheduled by a call that was in flight when its job stopped): the roll-up runs it each
   * pass. Running cells are left to finish (their cost was reserved before they were claimed). Returns the cells
   * closed by job, region and model.
   */
  async closeOverBudget(
    jobIds: string[] | null,
    reasons: string[] = [],
  ): Promise<{ jobId: string; region: string; modelId: string; count: number }[]> {
    const rows = await queryRows<{ job_id: string; region: string; model_id: string; n: number }>(
      this.ds,
      `WITH stop AS (
         UPDATE jobs j SET budget_exhausted_at = coalesce(j.budget_exhausted_at, now()), updated_at = now()
           FROM unnest($1::text[], $2::text[]) AS r(id, reason)
          WHERE $3 AND j.id = r.id AND j.status IN ${ACTIVE_JOB_STATUSES_SQL}
          RETURNING j.id, r.reason),
       stopped AS (
         SELECT id, reason FROM stop
         UNION ALL
         SELECT j.id, 'the job had already run out of its max_cost' FROM jobs j
          WHERE NOT $3 AND j.budget_exhausted_at IS NOT NULL AND j.status IN ${ACTIVE_JOB_STATUSES_SQL}),
       closed AS (
         UPDATE executions e SET state = ${CELL_SQL.cancelled}, finished_at = now(), updated_at = now(),
                last_error = jsonb_build_object('kind', 'budget_exhausted', 'message', s.reason)
           FROM stopped s
          WHERE e.job_id = s.id AND e.state = ${CELL_SQL.pending}
          RETURNING e.job_id, e.region, e.model_id)
       SELECT job_id, region, model_id, count(*)::int AS n FROM closed GROUP BY 1, 2, 3`,
      [jobIds ?? [], jobIds ? reasons : [], jobIds !== null],
    );
    return rows.map((r) => ({ jobId: r.job_id, region: r.region, modelId: r.model_id, count: r.n }));
  }

  /** The pending cells of a job that are outside its spec ({@link OUT_OF_SPEC}), in id order: what {@link cancelOutOfSpec} would cancel. */
  async pendingOutOfSpec(jobId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `WITH s AS MATERIALIZED (${specAxesSql('j.id = $1')})
       SELECT e.id FROM executions e JOIN s ON s.id = e.job_id
        WHERE e.state = ${CELL_SQL.pending} AND ${OUT_OF_SPEC} ORDER BY e.id`,
      [jobId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Cancels those of `ids` that are still pending and still outside their job's spec (re-checked in the UPDATE, so a
   * repair planned from stale findings changes nothing); running and finished cells are left alone. Returns the ids
   * it cancelled.
   */
  async cancelOutOfSpec(ids: string[]): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `WITH s AS MATERIALIZED (${specAxesSql('j.id IN (SELECT job_id FROM executions WHERE id = ANY($1::bigint[]))')})
       UPDATE executions e SET state = ${CELL_SQL.cancelled}, finished_at = now(), updated_at = now()
         FROM s
        WHERE s.id = e.job_id AND e.id = ANY($1::bigint[]) AND e.state = ${CELL_SQL.pending} AND ${OUT_OF_SPEC}
       RETURNING e.id`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The executions of one cell (job, question, model, region, replicate), the one to keep first: a succeeded one,
   * else the earliest started (or created). What {@link supersede} is planned from.
   */
  async cellCopies(cell: {
    jobId: string;
    questionId: unknown;
    modelId: unknown;
    region: unknown;
    /** Left out (evidence written before variants existed): the default variant. */
    variant?: unknown;
    replicate: unknown;
  }): Promise<{ id: string; supersededBy: string | null }[]> {
    const rows = await queryRows<{ id: string; superseded_by: string | null }>(
      this.ds,
      `SELECT id, superseded_by FROM executions
        WHERE job_id = $1 AND question_id = $2 AND model_id = $3 AND region = $4 AND variant = $6 AND replicate = $5
        ORDER BY (state = ${CELL_SQL.succeeded}) DESC, coalesce(started_at, created_at), id`,
      [cell.jobId, cell.questionId, cell.modelId, cell.region, cell.replicate, cell.variant ?? ''],
    );
    return rows.map((r) => ({ id: r.id, supersededBy: r.superseded_by }));
  }

  /**
   * Marks those of `ids` that are copies of the same cell as `keepId` superseded by it (neither side superseded yet,
   * re-checked in the UPDATE). Nothing is deleted. Returns the ids it marked.
   */
  async supersede(ids: string[], keepId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `UPDATE executions e SET superseded_by = k.id, updated_at = now()
         FROM executions k
        WHERE k.id = $2 AND e.id = ANY($1::bigint[]) AND e.id <> k.id AND e.superseded_by IS NULL AND k.superseded_by IS NULL
          AND e.job_id = k.job_id AND e.question_id = k.question_id AND e.model_id = k.model_id
          AND e.region = k.region AND e.variant = k.variant AND e.replicate = k.replicate
       RETURNING e.id`,
      [ids, keepId],
    );
    return rows.map((r) => r.id);
  }
}
