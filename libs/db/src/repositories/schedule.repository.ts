import {
  type Cadence,
  type FiringPlan,
  isOverlapPolicy,
  isScheduleTickOutcome,
  type NormalisedJobSpec,
  type OverlapPolicy,
  planFiring,
  type ScheduleInput,
  type ScheduleTickOutcome,
  type ScheduleUpdate,
  scheduleRunJobId,
  type TickSource,
  tickSource,
  isActiveJobStatus,
  type JobStatus,
} from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query.js';
import { storeJob } from './job.repository.js';
import { TERMINAL_JOB_STATUSES_SQL, parseJobStatus } from './status-sql.js';

/** A schedule as stored. */
export interface ScheduleRecord {
  name: string;
  cadence: Cadence;
  spec: NormalisedJobSpec;
  paused: boolean;
  overlap: OverlapPolicy;
  catchUp: number;
  keepRuns: number | null;
  keepDays: number | null;
  nextRunAt: Date | null;
  runs: number;
  createdAt: Date;
  createdBy: string | null;
  lastRun: { jobId: string; run: number; status: JobStatus } | null;
}

/** A tick row. */
export interface ScheduleTickRecord {
  scheduleId: string;
  tick: Date;
  outcome: ScheduleTickOutcome;
  jobId: string | null;
  run: number | null;
  manual: boolean;
  firedAt: Date;
  daemon: string | null;
  missedCount: number | null;
  missedUntil: Date | null;
  missedExact: boolean | null;
}

/** What one firing did: the schedule, the database clock, the tick rows written and the schedule's next tick. */
export interface Firing {
  scheduleId: string;
  now: Date;
  ticks: ScheduleTickRecord[];
  nextRunAt: Date | null;
}

/** `schedules` columns as the driver returns them (every_ms cast to float8). */
interface ScheduleRow {
  id: string;
  spec: NormalisedJobSpec;
  spec_received: string;
  spec_hash: string;
  every_ms: number | null;
  cron: string | null;
  paused: boolean;
  overlap: string;
  catch_up: number;
  keep_runs: number | null;
  keep_days: number | null;
  next_run_at: Date | null;
  runs: number;
  created_at: Date;
  created_by: string | null;
  last_job: string | null;
  last_run: number | null;
  last_status: string | null;
}

interface TickRow {
  schedule_id: string;
  tick: Date;
  outcome: string;
  job_id: string | null;
  run: number | null;
  manual: boolean;
  fired_at: Date;
  daemon: string | null;
  missed_count: number | null;
  missed_until: Date | null;
  missed_exact: boolean | null;
}

const SCHEDULE_COLUMNS = `s.id, s.spec, s.spec_received, s.spec_hash, s.every_ms::float8 AS every_ms, s.cron, s.paused, s.overlap,
  s.catch_up, s.keep_runs, s.keep_days, s.next_run_at, s.runs, s.created_at, s.created_by,
  l.id AS last_job, l.schedule_run AS last_run, l.status AS last_status`;

/** The schedule's latest run (its job), if any: a lateral join on the (schedule_id, schedule_run) index. */
const LAST_RUN_JOIN = `LEFT JOIN LATERAL (
    SELECT j.id, j.schedule_run, j.status FROM jobs j WHERE j.schedule_id = s.id ORDER BY j.schedule_run DESC LIMIT 1) l ON true`;

const TICK_COLUMNS = `schedule_id, tick, outcome, job_id, run, manual, fired_at, daemon, missed_count, missed_until, missed_exact`;

function cadenceOf(row: Pick<ScheduleRow, 'every_ms' | 'cron'>): Cadence {
  if (row.every_ms !== null) return { kind: 'every', everyMs: row.every_ms };
  if (row.cron !== null) return { kind: 'cron', expression: row.cron };
  throw new Error('schedule row has neither every_ms nor cron');
}

function ticksOf(cadence: Cadence): TickSource {
  const t = tickSource(cadence);
  if (!t.ok) throw new Error(`stored schedule cadence is invalid: ${t.field}: ${t.problem}`);
  return t.ticks;
}

function parseSchedule(row: ScheduleRow): ScheduleRecord {
  if (!isOverlapPolicy(row.overlap)) throw new Error(`not an overlap policy: ${JSON.stringify(row.overlap)}`);
  return {
    name: row.id,
    cadence: cadenceOf(row),
    spec: row.spec,
    paused: row.paused,
    overlap: row.overlap,
    catchUp: row.catch_up,
    keepRuns: row.keep_runs,
    keepDays: row.keep_days,
    nextRunAt: row.next_run_at,
    runs: row.runs,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastRun:
      row.last_job !== null && row.last_run !== null
        ? { jobId: row.last_job, run: row.last_run, status: parseJobStatus(row.last_status) }
        : null,
  };
}

function parseTick(row: TickRow): ScheduleTickRecord {
  if (!isScheduleTickOutcome(row.outcome)) throw new Error(`not a schedule tick outcome: ${JSON.stringify(row.outcome)}`);
  return {
    scheduleId: row.schedule_id,
    tick: row.tick,
    outcome: row.outcome,
    jobId: row.job_id,
    run: row.run,
    manual: row.manual,
    firedAt: row.fired_at,
    daemon: row.daemon,
    missedCount: row.missed_count,
    missedUntil: row.missed_until,
    missedExact: row.missed_exact,
  };
}

/** Run numbers tried past ids already taken by other jobs before a firing gives up (and rolls back). */
const MAX_TAKEN_IDS = 1000;

/**
 * Schedules and their ticks. Invariants:
 * - a cadence tick is handled at most once: its `schedule_ticks` row (unique by schedule and tick), the run's job and
 *   the schedule's new `next_run_at` are written in one transaction that holds the schedule's row lock, so a daemon
 *   killed anywhere in it leaves all or nothing, and a second daemon either skips the locked row or, after the commit,
 *   finds the tick no longer due (and would fail on the unique row if it did not);
 * - every tick in [next_run_at, now] is handled by the firing that claims it: fired, skipped, queued or summarised as
 *   missed; `next_run_at` then moves past now, so no tick is owed twice or forgotten;
 * - run numbers increase by one per job created (`runs` is the last), the job id is `<name>-<run>`, and the job is
 *   stored and planned by the same code as a submitted job ({@link storeJob});
 * - a paused schedule has no `next_run_at`; resuming sets it to the first tick after the moment of resuming (ticks
 *   while paused are not owed).
 * Times come from the database clock.
 */
export class ScheduleRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Creates a schedule whose first tick is the first after now. Runs are numbered after any job already named
   * `<name>-<n>` (a schedule removed and created again continues its numbering). False when the name is taken.
   */
  async create(input: ScheduleInput, createdBy: string | null): Promise<boolean> {
    const ticks = ticksOf(input.cadence);
    return this.ds.transaction(async (tx) => {
      const [clock] = await queryRows<{ now: Date; runs: number }>(
        tx,
        `SELECT now() AS now,
                coalesce((SELECT max(substring(id FROM length($1) + 2)::int) FROM jobs
                           WHERE id LIKE $2 AND substring(id FROM length($1) + 2) ~ '^[0-9]{1,9}$'), 0) AS runs`,
        [input.name, `${input.name.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`],
      );
      const next = ticks.next(clock!.now.getTime());
      if (next === null) throw new Error(`schedule ${input.name} has no tick in the next ten years`);
      const rows = await queryRows<{ id: string }>(
        tx,
        `INSERT INTO schedules (id, spec, spec_received, spec_hash, every_ms, cron, overlap, catch_up, keep_runs, keep_days,
                                next_run_at, runs, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          input.name,
          JSON.stringify(input.spec),
          input.specReceived,
          input.specHash,
          input.cadence.kind === 'every' ? input.cadence.everyMs : null,
          input.cadence.kind === 'cron' ? input.cadence.expression : null,
          input.overlap,
          input.catchUp,
          input.keepRuns,
          input.keepDays,
          new Date(next),
          clock!.runs,
          createdBy,
        ],
      );
      return rows.length === 1;
    });
  }

  /** Every schedule, by name (with its latest run). */
  async list(): Promise<ScheduleRecord[]> {
    const rows = await queryRows<ScheduleRow>(this.ds, `SELECT ${SCHEDULE_COLUMNS} FROM schedules s ${LAST_RUN_JOIN} ORDER BY s.id`);
    return rows.map(parseSchedule);
  }

  /** One schedule, or null. */
  async get(name: string): Promise<ScheduleRecord | null> {
    const [row] = await queryRows<ScheduleRow>(this.ds, `SELECT ${SCHEDULE_COLUMNS} FROM schedules s ${LAST_RUN_JOIN} WHERE s.id = $1`, [
      name,
    ]);
    return row ? parseSchedule(row) : null;
  }

  /** A schedule's latest tick rows, newest first. */
  async recentTicks(name: string, limit: number): Promise<ScheduleTickRecord[]> {
    const rows = await queryRows<TickRow>(
      this.ds,
      `SELECT ${TICK_COLUMNS} FROM schedule_ticks WHERE schedule_id = $1 ORDER BY tick DESC, id DESC LIMIT $2`,
      [name, limit],
    );
    return rows.map(parseTick);
  }

  /** Pauses a schedule (no tick is owed while paused). False when there is no such schedule. */
  async pause(name: string): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `UPDATE schedules SET paused = true, next_run_at = NULL, updated_at = now() WHERE id = $1 RETURNING id`,
      [name],
    );
    return rows.length === 1;
  }

  /**
   * Resumes a paused schedule from the first tick after now; a schedule that is not paused is left as it is (its
   * `next_run_at` may be owed ticks a firing is about to handle). False when there is no such schedule.
   */
  async resume(name: string): Promise<boolean> {
    return this.ds.transaction(async (tx) => {
      const [row] = await queryRows<{ every_ms: number | null; cron: string | null; paused: boolean; now: Date }>(
        tx,
        `SELECT every_ms::float8 AS every_ms, cron, paused, now() AS now FROM schedules WHERE id = $1 FOR UPDATE`,
        [name],
      );
      if (!row) return false;
      if (!row.paused) return true;
      const next = ticksOf(cadenceOf(row)).next(row.now.getTime());
      await queryRows(tx, `UPDATE schedules SET paused = false, next_run_at = $2, updated_at = now() WHERE id = $1`, [
        name,
        next === null ? null : new Date(next),
      ]);
      return true;
    });
  }

  /** Changes policies and retention (absent fields unchanged, null clears a limit). False when there is no such schedule. */
  async update(name: string, u: ScheduleUpdate): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `UPDATE schedules
          SET overlap = coalesce($2, overlap),
              catch_up = coalesce($3, catch_up),
              keep_runs = CASE WHEN $4 THEN $5::int ELSE keep_runs END,
              keep_days = CASE WHEN $6 THEN $7::int ELSE keep_days END,
              updated_at = now()
        WHERE id = $1 RETURNING id`,
      [
        name,
        u.overlap ?? null,
        u.catchUp ?? null,
        u.keepRuns !== undefined,
        u.keepRuns ?? null,
        u.keepDays !== undefined,
        u.keepDays ?? null,
      ],
    );
    return rows.length === 1;
  }

  /** Removes a schedule and its tick rows; its jobs stay (their `schedule_id` becomes NULL). False when there is none. */
  async remove(name: string): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(this.ds, `DELETE FROM schedules WHERE id = $1 RETURNING id`, [name]);
    return rows.length === 1;
  }

  /**
   * Claims one due schedule (not paused, `next_run_at` ≤ now) that no other daemon holds, with SKIP LOCKED, and
   * handles every tick it owes ({@link planFiring}) in one transaction; null when none is due and free.
   */
  async fireDue(daemon: string): Promise<Firing | null> {
    return this.ds.transaction(async (tx) => {
      const [row] = await queryRows<ScheduleRow & { now: Date }>(
        tx,
        `SELECT ${SCHEDULE_COLUMNS}, now() AS now
           FROM schedules s ${LAST_RUN_JOIN}
          WHERE NOT s.paused AND s.next_run_at <= now()
          ORDER BY s.next_run_at
          LIMIT 1
          FOR UPDATE OF s SKIP LOCKED`,
      );
      if (!row) return null;
      const plan = planFiring({
        ticks: ticksOf(cadenceOf(row)),
        dueMs: row.next_run_at!.getTime(),
        nowMs: row.now.getTime(),
        catchUp: row.catch_up,
      });
      return this.carryOut(tx, row, plan, daemon);
    });
  }

  private async carryOut(tx: EntityManager, row: ScheduleRow & { now: Date }, plan: FiringPlan, daemon: string): Promise<Firing> {
    const out: ScheduleTickRecord[] = [];
    let runs = row.runs;
    let running = row.last_status !== null && isActiveJobStatus(row.last_status);
    for (const tickMs of plan.fire) {
      const tick = new Date(tickMs);
      if (running && row.overlap === 'skip') {
        out.push(await insertTick(tx, row.id, { tick, outcome: 'skipped_overlap', daemon }));
        continue;
      }
      const created = await this.createRun(tx, row, runs);
      runs = created.run;
      out.push(
        await insertTick(tx, row.id, { tick, outcome: running ? 'queued' : 'fired', jobId: created.jobId, run: created.run, daemon }),
      );
      running = true;
    }
    if (plan.missed) {
      const m = plan.missed;
      out.push(
        await insertTick(tx, row.id, {
          tick: new Date(m.firstMs),
          outcome: 'missed',
          daemon,
          missed: { count: m.count, until: new Date(m.lastMs), exact: m.exact },
        }),
      );
    }
    const next = plan.nextMs === null ? null : new Date(plan.nextMs);
    // A schedule with no tick left (a cron date ten years away) is paused rather than left with nothing due.
    const moved = await queryRows<{ id: string }>(
      tx,
      `UPDATE schedules SET next_run_at = $2, paused = ($2::timestamptz IS NULL), runs = $3, updated_at = now()
        WHERE id = $1 AND next_run_at = $4 RETURNING id`,
      [row.id, next, runs, row.next_run_at],
    );
    if (moved.length !== 1) throw new Error(`schedule ${row.id} changed under its row lock`);
    out.sort((a, b) => a.tick.getTime() - b.tick.getTime());
    return { scheduleId: row.id, now: row.now, ticks: out, nextRunAt: next };
  }

  /** Stores and plans the next run's job; a run number whose job id another job holds is passed over. */
  private async createRun(tx: EntityManager, row: ScheduleRow, runs: number): Promise<{ run: number; jobId: string }> {
    for (let run = runs + 1; run <= runs + MAX_TAKEN_IDS; run++) {
      const jobId = scheduleRunJobId(row.id, run);
      const outcome = await storeJob(
        tx,
        {
          spec: { ...row.spec, id: jobId },
          received: row.spec_received,
          hash: row.spec_hash,
          submitter: row.created_by,
          traceparent: null,
          schedule: { id: row.id, run },
        },
        { planned: 0 },
      );
      if (outcome.kind === 'created') return { run, jobId };
    }
    throw new Error(`schedule ${row.id}: job ids ${row.id}-${runs + 1} to ${row.id}-${runs + MAX_TAKEN_IDS} are all taken`);
  }

  /**
   * A manual run (run-now): a job now, whatever the cadence and the overlap policy (the operator asked for it), with a
   * tick row of its own (manual, at the database's now). The schedule's next tick is unchanged; a paused schedule can
   * be run too. Null when there is no such schedule.
   */
  async runNow(name: string, daemon: string): Promise<ScheduleTickRecord | null> {
    return this.ds.transaction(async (tx) => {
      const [row] = await queryRows<ScheduleRow & { now: Date }>(
        tx,
        `SELECT ${SCHEDULE_COLUMNS}, now() AS now FROM schedules s ${LAST_RUN_JOIN} WHERE s.id = $1 FOR UPDATE OF s`,
        [name],
      );
      if (!row) return null;
      const created = await this.createRun(tx, row, row.runs);
      const tick = await insertTick(tx, row.id, {
        tick: row.now,
        outcome: 'fired',
        jobId: created.jobId,
        run: created.run,
        daemon,
        manual: true,
      });
      await queryRows(tx, `UPDATE schedules SET runs = $2, updated_at = now() WHERE id = $1`, [row.id, created.run]);
      return tick;
    });
  }

  /**
   * The runs of a schedule its retention settings no longer keep, oldest first: finished jobs (a terminal status)
   * beyond the latest `keep_runs` runs, or created more than `keep_days` days before `now`. The latest run is never
   * among them, whatever the settings; unfinished runs never are. Empty for a schedule without retention settings.
   */
  async runsToPrune(name: string, now: Date): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `SELECT r.id FROM (
         SELECT j.id, j.status, j.created_at, j.schedule_run,
                row_number() OVER (ORDER BY j.schedule_run DESC) AS newest
           FROM jobs j WHERE j.schedule_id = $1) r
         JOIN schedules s ON s.id = $1
        WHERE r.newest > 1
          AND r.status IN ${TERMINAL_JOB_STATUSES_SQL}
          AND ((s.keep_runs IS NOT NULL AND r.newest > s.keep_runs)
               OR (s.keep_days IS NOT NULL AND r.created_at < $2::timestamptz - make_interval(days => s.keep_days)))
        ORDER BY r.schedule_run`,
      [name, now],
    );
    return rows.map((r) => r.id);
  }

  /** Names of the schedules with a retention setting. */
  async withRetention(): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `SELECT id FROM schedules WHERE keep_runs IS NOT NULL OR keep_days IS NOT NULL ORDER BY id`,
    );
    return rows.map((r) => r.id);
  }
}

interface TickWrite {
  tick: Date;
  outcome: ScheduleTickOutcome;
  daemon: string;
  jobId?: string;
  run?: number;
  manual?: boolean;
  missed?: { count: number; until: Date; exact: boolean };
}

/** Writes one tick row; a second row for the same cadence tick fails on the unique index and rolls the firing back. */
async function insertTick(tx: EntityManager, scheduleId: string, t: TickWrite): Promise<ScheduleTickRecord> {
  const [row] = await queryRows<TickRow>(
    tx,
    `INSERT INTO schedule_ticks (schedule_id, tick, outcome, job_id, run, manual, missed_count, missed_until, missed_exact, daemon)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     RETURNING ${TICK_COLUMNS}`,
    [
      scheduleId,
      t.tick,
      t.outcome,
      t.jobId ?? null,
      t.run ?? null,
      t.manual ?? false,
      t.missed?.count ?? null,
      t.missed?.until ?? null,
      t.missed?.exact ?? null,
      t.daemon,
    ],
  );
  return parseTick(row!);
}
