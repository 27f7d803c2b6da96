import type { DataSource, EntityManager } from 'typeorm';
import { ENGINE_LIMITS, redactSecrets, redactSecretsDeep, storableValue } from '@beacon/domain';
import { queryRows } from './query.js';
import { ACTIVE_JOB_STATUSES_SQL, CELL_SQL, OUTCOME_SQL, parseCellState, parseOutcome } from './status-sql.js';
import { LifecycleRepository } from './lifecycle.repository.js';
import { storableCall } from './storable-call.js';
import { WORK_CHANNEL } from '../live/live-listener.js';
import type {
  AttemptStart,
  BudgetStop,
  CallRecord,
  CellResult,
  ClaimedCell,
  ClaimRequest,
  FailureDisposition,
  HeartbeatResult,
  ReleaseReason,
  ReapedCell,
} from './queue.types.js';
import { cellIdentity, type CellKeyColumns } from './row-columns.js';

/** A cell the claim leased (`executions` columns as the driver returns them: ids as text, integers as numbers). */
interface ClaimedRow extends CellKeyColumns {
  attempts: number;
  failures: number;
  max_attempts: number;
  lease_token: string;
  trace_id: string;
  lease_losses: number;
}

/** A locked capped job's budget for one claim (numeric columns as float8, `per_call` null without a price). */
interface JobBudgetRow {
  id: string;
  max_cost: number;
  spent: number;
  reserved: number;
  per_call: string | null;
  room: number | null;
}

/** Why a claim stopped a capped job, with the figures it compared (kept on each cancelled cell). */
function budgetReason(b: JobBudgetRow, req: ClaimRequest): string {
  const usd = (n: number) => `${Number(n.toPrecision(6))} USD`;
  if (b.per_call === null) {
    return `max_cost ${usd(b.max_cost)} cannot be enforced: no price configured for ${req.modelId} in ${req.region}`;
  }
  return (
    `max_cost ${usd(b.max_cost)} would be exceeded: spent ${usd(b.spent)} + in flight at most ${usd(b.reserved)} ` +
    `+ next call at most ${usd(Number(b.per_call))} (${req.modelId} in ${req.region})`
  );
}

/** An attempt row written for a cell whose lease still held. */
interface StartedAttemptRow {
  execution_id: string;
  id: string;
}

/** A lease renewed, and whether its job was cancelled. */
interface HeartbeatRow {
  id: string;
  cancelled: boolean | null;
}

/** A cell taken back by {@link takeBackExpired}. */
interface ReapedRow {
  id: string;
  job_id: string;
  question_id: string;
  attempts: number;
  region: string;
  model_id: string;
  state: string;
  called: boolean;
}

/**
 * The queue: claim, lease renewal, fenced completion, retry, release and rescue, each one SQL statement.
 * Every write after a claim names the lease token, so a runner that lost its lease changes nothing.
 * Times come from the database clock only.
 */
export class QueueRepository {
  /** On a transaction's EntityManager when the caller writes more in the same transaction (the reconciler's repairs). */
  constructor(private readonly ds: DataSource | EntityManager) {}

  /** Whether active capped jobs (a spec's `max_cost`) exist, as last asked, and when (ms since the epoch). */
  private capped = { any: true, at: 0 };

  /**
   * Claims up to `limit` runnable cells of one (region, model) with SKIP LOCKED and leases them to the runner.
   *
   * Cells of a job with a `max_cost` are claimed only within its budget, checked in the database under a lock of the
   * job row, so daemons racing for the same job cannot overspend it: in one transaction the capped jobs with cells of
   * this key are locked (in id order), then — on a snapshot taken after the locks, which sees every claim committed by
   * a daemon that held them before — each job's room is `floor((max_cost − spent − reserved) / per_call)`, where
   * spent is the sum of its attempts' `cost_usd`, reserved the sum of `cost_reserved_usd` over its running cells
   * (calls in flight or claimed ahead), and per_call the most one call of this key can cost (`prompt_tokens_bound`
   * input and `max_tokens` output tokens at this key's price). A job with no room (or no price for this key) is
   * stopped: {@link LifecycleRepository.closeOverBudget} in the same transaction. Jobs without a cap take the one
   * statement they always did; whether capped jobs exist is asked at most every `cappedCheckMs`, and until it is known,
   * capped jobs' cells are left to the next claim (never claimed unchecked).
   *
   * A (region, model) with a concurrency override (`key_controls.concurrency`, N) is claimed in a transaction that
   * first locks its control row, then claims at most N minus the cells of the key running on any daemon (claimed ahead
   * or calling), on a snapshot taken after the lock: daemons claiming the key take turns, each seeing the others'
   * committed claims, so the key's running cells, and with them its calls in flight, never exceed N across the
   * cluster once the override is committed (a lowered N: none is claimed until enough have finished). Keys without
   * an override take no lock. `req.overridden` says which way to claim; a key with an override is never claimed the
   * other way.
   */
  async claim(req: ClaimRequest, cappedCheckMs = 500): Promise<ClaimedCell[]> {
    const now = Date.now();
    if (now - this.capped.at >= cappedCheckMs) {
      const [row] = await queryRows<{ any: boolean }>(
        this.ds,
        `SELECT EXISTS (SELECT 1 FROM jobs WHERE max_cost_usd IS NOT NULL AND status IN ${ACTIVE_JOB_STATUSES_SQL}) AS any`,
      );
      this.capped = { any: row?.any === true, at: now };
    }
    const overridden = req.overridden === true;
    if (!this.capped.any && !overridden) return this.claimWithin(this.ds, req, [], false);
    const { cells, stops } = await this.ds.transaction(async (tx) => {
      // No control row to lock (the override was removed and its row deleted, or never written): claimed as a key
      // without an override, which claims nothing should one be committed meanwhile.
      const locked =
        overridden &&
        (
          await queryRows<{ locked: number }>(
            tx,
            'SELECT 1 AS locked FROM key_controls WHERE region = $1 AND model_id = $2 FOR NO KEY UPDATE',
            [req.region, req.modelId],
          )
        ).length > 0;
      return this.capped.any ? this.claimCapped(tx, req, locked) : { cells: await this.claimWithin(tx, req, [], locked), stops: [] };
    });
    this.budgetStops.push(...stops);
    return cells;
  }

  /** Capped jobs stopped by claims since the last call (what the engine reports); emptied by reading it. */
  takeBudgetStops(): BudgetStop[] {
    return this.budgetStops.splice(0);
  }

  private readonly budgetStops: BudgetStop[] = [];

  private async claimCapped(
    tx: EntityManager,
    req: ClaimRequest,
    overrideLocked: boolean,
  ): Promise<{ cells: ClaimedCell[]; stops: BudgetStop[] }> {
    const locked = await queryRows<{ id: string }>(
      tx,
      `SELECT j.id FROM jobs j
        WHERE j.max_cost_usd IS NOT NULL AND j.status IN ${ACTIVE_JOB_STATUSES_SQL} AND j.budget_exhausted_at IS NULL
          AND EXISTS (SELECT 1 FROM executions e
                       WHERE e.job_id = j.id AND e.state = ${CELL_SQL.pending} AND e.region = $1 AND e.model_id = $2
                         AND e.run_after <= now())
        ORDER BY j.id
        FOR NO KEY UPDATE OF j`,
      [req.region, req.modelId],
    );
    if (locked.length === 0) return { cells: await this.claimWithin(tx, req, [], overrideLocked), stops: [] };
    const price = req.price ?? null;
    const budgets = await queryRows<JobBudgetRow>(
      tx,
      `SELECT j.id, j.max_cost_usd::float8 AS max_cost, b.spent::float8 AS spent, b.reserved::float8 AS reserved,
              ($2::numeric * coalesce(j.prompt_tokens_bound, 0)
               + $3::numeric * coalesce((j.spec->'parameters'->>'maxTokens')::int, 0)) / 1000000 AS per_call,
              greatest(0, least(1000000, floor(
                (j.max_cost_usd - b.spent - b.reserved)
                / nullif(($2::numeric * coalesce(j.prompt_tokens_bound, 0)
                          + $3::numeric * coalesce((j.spec->'parameters'->>'maxTokens')::int, 0)) / 1000000, 0))))::int AS room
         FROM jobs j
        CROSS JOIN LATERAL (
          SELECT coalesce((SELECT sum(a.cost_usd) FROM execution_attempts a WHERE a.job_id = j.id), 0) AS spent,
                 coalesce((SELECT sum(e.cost_reserved_usd) FROM executions e
                            WHERE e.job_id = j.id AND e.state = ${CELL_SQL.running}), 0) AS reserved) b
        WHERE j.id = ANY($1::text[])
        ORDER BY j.id`,
      [locked.map((r) => r.id), price?.inputPerMillion ?? null, price?.outputPerMillion ?? null],
    );
    // A per-call bound of 0 (a free model) gives no room limit; a null one (no price) gives no room.
    const roomOf = (b: JobBudgetRow): number =>
      b.per_call === null ? 0 : Number(b.per_call) === 0 ? req.limit : Math.max(0, b.room ?? req.limit);
    const open = budgets.filter((b) => roomOf(b) > 0);
    const stopped = budgets.filter((b) => roomOf(b) === 0);
    const stops: BudgetStop[] = [];
    if (stopped.length > 0) {
      const closed = await new LifecycleRepository(tx).closeOverBudget(
        stopped.map((b) => b.id),
        stopped.map((b) => budgetReason(b, req)),
      );
      for (const b of stopped) {
        stops.push({
          jobId: b.id,
          closedByKey: closed.filter((c) => c.jobId === b.id).map(({ region, modelId, count }) => ({ region, modelId, count })),
        });
      }
    }
    const quotas = open.map((b) => ({ jobId: b.id, room: roomOf(b), perCall: String(b.per_call) }));
    return { cells: await this.claimWithin(tx, req, quotas, overrideLocked), stops };
  }

  /**
   * The claim statement: cells of jobs without a cap, and of the capped jobs in `quotas` (locked by the caller's
   * transaction) at most `room` each, reserving `perCall` USD on each cell claimed. Cells of any other capped job are
   * never taken here. A key with a concurrency override is claimed only with `overrideLocked` (its control row locked
   * by the caller's transaction, see {@link claim}).
   */
  private async claimWithin(
    on: DataSource | EntityManager,
    req: ClaimRequest,
    quotas: { jobId: string; room: number; perCall: string }[],
    overrideLocked: boolean,
  ): Promise<ClaimedCell[]> {
    const rows = await queryRows<ClaimedRow>(
      on,
      `WITH candidates AS MATERIALIZED (
         SELECT id, job_id, run_after, priority FROM executions
          WHERE state = ${CELL_SQL.pending} AND region = $2 AND model_id = $4 AND run_after <= now()
            AND ($5::boolean IS FALSE OR (failures = 0 AND lease_losses = 0))
            AND (job_id = ANY($7::text[])
                 OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = executions.job_id AND j.max_cost_usd IS NOT NULL))
            -- A cell requeued after its job's cancel (a retry, a release or a reap of a call in flight then) is never
            -- called: the roll-up cancels it (LifecycleRepository.closeCancelled).
            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = executions.job_id AND j.cancel_requested_at IS NOT NULL)
            -- Operator controls, read by every daemon from the database (ControlsRepository, setJobPaused): a paused
            -- job or (region, model), or a draining daemon, claims nothing.
            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = executions.job_id AND j.paused_at IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM key_controls k WHERE k.region = $2 AND k.model_id = $4 AND k.paused_at IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM runners r WHERE r.id = $1 AND r.draining_at IS NOT NULL)
            -- A key with a concurrency override is claimed only under its control row's lock (see claim).
            AND ($10::boolean OR NOT EXISTS (SELECT 1 FROM key_controls k WHERE k.region = $2 AND k.model_id = $4
                                                                          AND k.concurrency IS NOT NULL))
          ORDER BY run_after, priority DESC, id
          -- A concurrency override bounds the cells of the key running on all daemons (claimed ahead or calling), so
          -- its calls never exceed it once it is committed, whatever each daemon last read of it.
          LIMIT least($3, coalesce(
            (SELECT greatest(0, k.concurrency - (SELECT count(*) FROM executions x
                                                  WHERE x.state = ${CELL_SQL.running} AND x.region = $2 AND x.model_id = $4))
               FROM key_controls k WHERE k.region = $2 AND k.model_id = $4 AND k.concurrency IS NOT NULL), $3))
          FOR UPDATE SKIP LOCKED),
       ranked AS (
         SELECT c.id, q.room, q.per_call,
                row_number() OVER (PARTITION BY c.job_id ORDER BY c.run_after, c.priority DESC, c.id) AS rn
           FROM candidates c
           LEFT JOIN unnest($7::text[], $8::int[], $9::numeric[]) AS q(job_id, room, per_call) ON q.job_id = c.job_id)
       UPDATE executions e
          SET state = ${CELL_SQL.running}, attempts = e.attempts + 1, lease_token = gen_random_uuid(), lease_owner = $1,
              lease_expires_at = now() + make_interval(secs => $6::double precision / 1000),
              started_at = coalesce(e.started_at, now()), updated_at = now(), cost_reserved_usd = r.per_call
         FROM ranked r
        WHERE e.id = r.id AND e.state = ${CELL_SQL.pending} AND (r.room IS NULL OR r.rn <= r.room)
       RETURNING e.id, e.job_id, e.question_id, e.model_id, e.region, e.variant, e.replicate, e.attempts, e.failures,
                 e.max_attempts, e.lease_token, e.trace_id, e.lease_losses`,
      [
        req.runnerId,
        req.region,
        req.limit,
        req.modelId,
        req.firstAttemptsOnly,
        req.leaseMs,
        quotas.map((q) => q.jobId),
        quotas.map((q) => q.room),
        quotas.map((q) => q.perCall),
        overrideLocked,
      ],
    );
    return rows.map(claimedCell);
  }

  /**
   * Writes the audit rows of a batch of calls about to start, only for cells whose lease is still held.
   * Returns the cells that may be called: execution id → the id of its new attempt row.
   */
  async startAttempts(starts: AttemptStart[]): Promise<Map<string, string>> {
    if (starts.length === 0) return new Map();
    const col = <T>(f: (s: AttemptStart) => T) => starts.map(f);
    const rows = await queryRows<StartedAttemptRow>(
      this.ds,
      `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, system_prompt, user_prompt,
                                       parameters, prompt_hash, parameters_hash, endpoint, trace_id, span_id)
       SELECT e.id, e.job_id, e.attempts, a.runner_id, e.lease_token, a.system_prompt, a.user_prompt, a.parameters::jsonb,
              a.prompt_hash, a.parameters_hash, a.endpoint, e.trace_id, a.span_id
         FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::text[])
              AS a(id, token, runner_id, system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, endpoint, span_id)
         JOIN executions e ON e.id = a.id AND e.lease_token = a.token AND e.state = ${CELL_SQL.running}
        -- A cell claimed ahead is not called once its job or (region, model) is paused or its daemon drains: its
        -- daemon hands it back (release). Checked in the statement that opens the attempt, so no call starts after
        -- the pause is committed; calls whose attempt is already open finish.
        WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = e.job_id AND j.paused_at IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM key_controls k WHERE k.region = e.region AND k.model_id = e.model_id
                                                         AND k.paused_at IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM runners r WHERE r.id = a.runner_id AND r.draining_at IS NOT NULL)
       RETURNING execution_id, id`,
      [
        col((s) => s.cell.id),
        col((s) => s.cell.leaseToken),
        col((s) => s.runnerId),
        col((s) => s.systemPrompt),
        col((s) => s.userPrompt),
        col((s) => JSON.stringify(s.parameters)),
        col((s) => s.promptHash),
        col((s) => s.parametersHash),
        col((s) => redactSecrets(s.endpoint)),
        col((s) => s.spanId),
      ],
    );
    return new Map(rows.map((r) => [r.execution_id, r.id]));
  }

  /** Renews the leases this runner still holds and its own liveness; says which leases are gone or cancelled. */
  async heartbeat(runnerId: string, leases: { id: string; token: string }[], leaseMs: number): Promise<HeartbeatResult> {
    const rows = await queryRows<HeartbeatRow>(
      this.ds,
      `WITH runner AS (UPDATE runners SET last_seen_at = now() WHERE id = $1)
       UPDATE executions e
          SET lease_expires_at = now() + make_interval(secs => $4::double precision / 1000), updated_at = now()
         FROM unnest($2::bigint[], $3::uuid[]) AS h(id, token)
        WHERE e.id = h.id AND e.lease_token = h.token AND e.state = ${CELL_SQL.running}
       RETURNING e.id, (SELECT cancel_requested_at IS NOT NULL FROM jobs j WHERE j.id = e.job_id) AS cancelled`,
      [runnerId, leases.map((l) => l.id), leases.map((l) => l.token), leaseMs],
    );
    const held = new Set<string>();
    const cancelled = new Set<string>();
    for (const r of rows) {
      held.add(r.id);
      if (r.cancelled === true) cancelled.add(r.id);
    }
    return { held, cancelled };
  }

  /**
   * Commits the one result of a cell, fenced by the lease token, closes the attempt and, when the result names its
   * classifier version, records the versioned label (`classifications`). Returns the attempt's
   * outcome: `succeeded`, or `fenced` when the lease was lost (the result is kept on the attempt row only). What
   * PostgreSQL cannot hold is replaced first ({@link storableCall}) and noted in `storage_note`.
   */
  async complete(cell: ClaimedCell, received: CallRecord, result: CellResult): Promise<'succeeded' | 'fenced'> {
    const { call, note } = storableCall(redactSecretsDeep(received)); // no secret an upstream echoed is stored
    const rows = await queryRows<{ outcome: string | null }>(
      this.ds,
      `WITH fenced AS (
         UPDATE executions
            SET state = ${CELL_SQL.succeeded}, finished_at = now(), updated_at = now(),
                lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, result_attempt = attempts,
                response = $3, finish_reason = $4, classification = $5, classification_rule = $6,
                input_tokens = $7, output_tokens = $8, last_error = NULL
          WHERE id = $1 AND lease_token = $2 AND state = ${CELL_SQL.running}
          RETURNING id),
       closed AS (
         UPDATE execution_attempts a
            SET ended_at = greatest(now(), a.started_at),
                outcome = ${fencedOutcome(OUTCOME_SQL.succeeded)},
                http_status = $9, latency_ms = $10, response = $3, finish_reason = $4, input_tokens = $7,
                output_tokens = $8, usage = $11, upstream_request_id = $12, storage_note = $16, cost_usd = $17::numeric,
                provider_kind = $18, served_region = $19, region_observed = $20, region_observed_allowed = $21::text[],
                provider_safety = $22, response_model = $23
          WHERE ${OWN_ATTEMPT}
          RETURNING a.id, a.outcome),
       labelled AS (
         -- The versioned label, in the same statement as the commit: no extra round trip on the hot path.
         INSERT INTO classifications (execution_id, attempt_id, classifier_version, label, confidence, tier, rule)
         SELECT f.id, (SELECT c.id FROM closed c LIMIT 1), $13::text, $5, $14::real, $15::text, $6
           FROM fenced f
          WHERE $13::text IS NOT NULL
         ON CONFLICT (execution_id, classifier_version) DO NOTHING)
       SELECT outcome FROM closed`,
      [
        cell.id,
        cell.leaseToken,
        call.response,
        call.finishReason,
        result.classification,
        result.classificationRule,
        call.inputTokens,
        call.outputTokens,
        call.httpStatus,
        call.latencyMs,
        json(call.usage),
        call.upstreamRequestId,
        result.classificationVersion ?? null,
        result.classificationConfidence ?? null,
        result.classificationTier ?? null,
        note,
        call.costUsd ?? null,
        ...servedParams(call),
        call.served?.responseModel ?? null,
      ],
    );
    return rows[0] && parseOutcome(rows[0].outcome) === 'succeeded' ? 'succeeded' : 'fenced';
  }

  /** Records a failed call: back to the queue after a delay, or failed for good. Fenced like `complete`. */
  async fail(cell: ClaimedCell, received: CallRecord, d: FailureDisposition): Promise<'recorded' | 'fenced'> {
    const { call, note } = storableCall(redactSecretsDeep(received)); // no secret an upstream echoed is stored
    const retry = d.kind === 'retry';
    const rows = await queryRows<{ fenced: number }>(
      this.ds,
      `WITH fenced AS (
         UPDATE executions
            SET state = CASE WHEN $3 THEN ${CELL_SQL.pending} ELSE ${CELL_SQL.failed} END,
                finished_at = CASE WHEN $3 THEN NULL ELSE now() END,
                run_after = CASE WHEN $3 THEN now() + make_interval(secs => $4::double precision / 1000) ELSE run_after END,
                failures = failures + 1, updated_at = now(), last_error = $5::jsonb,
                lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_token = $2 AND state = ${CELL_SQL.running}
          RETURNING id)
       UPDATE execution_attempts a
          SET ended_at = greatest(now(), a.started_at),
              outcome = ${fencedOutcome('$6')},
              http_status = $7, latency_ms = $8, error = $5::jsonb, response = $9, upstream_request_id = $10, storage_note = $11,
              input_tokens = $12, output_tokens = $13, cost_usd = $14::numeric,
              provider_kind = $15, served_region = $16, region_observed = $17, region_observed_allowed = $18::text[],
              provider_safety = $19
        WHERE ${OWN_ATTEMPT}
       RETURNING (SELECT count(*)::int FROM fenced) AS fenced`,
      [
        cell.id,
        cell.leaseToken,
        retry,
        retry ? d.delayMs : 0,
        json(call.error),
        d.outcome,
        call.httpStatus,
        call.latencyMs,
        call.response,
        call.upstreamRequestId,
        note,
        call.inputTokens,
        call.outputTokens,
        call.costUsd ?? null,
        ...servedParams(call),
      ],
    );
    return (rows[0]?.fenced ?? 0) > 0 ? 'recorded' : 'fenced';
  }

  /**
   * Records a call its runner stopped because it is losing its lease (heartbeats failing), as the reaper would a lost
   * call ({@link leaseLossSet}: a lease loss, not a failure), but at once instead of a lease later. Fenced like
   * `fail`: once the lease is gone only the call's own attempt row is written (closed `fenced` if still open, the
   * reaper's `lease_expired` kept), with what the call did. Returns the cell's new state.
   */
  async abandon(
    cell: ClaimedCell,
    received: CallRecord,
    maxLeaseLosses: number = ENGINE_LIMITS.maxLeaseLossesPerCell,
  ): Promise<'pending' | 'failed' | 'fenced'> {
    const { call, note } = storableCall(redactSecretsDeep(received)); // an aborted call's error may quote what an upstream echoed
    const rows = await queryRows<{ state: string }>(
      this.ds,
      `WITH x AS (
         SELECT id, true AS called FROM executions WHERE id = $1 AND lease_token = $2 AND state = ${CELL_SQL.running} FOR UPDATE),
       fenced AS (
         UPDATE executions e
            SET ${leaseLossSet('$3', null)}
           FROM x
          WHERE e.id = x.id
          RETURNING e.state),
       closed AS (
         UPDATE execution_attempts a
            SET ended_at = greatest(now(), a.started_at),
                outcome = ${fencedOutcome(OUTCOME_SQL.lease_expired)},
                latency_ms = $4, error = $5::jsonb, storage_note = $6
          WHERE ${OWN_ATTEMPT})
       SELECT state FROM fenced`,
      [cell.id, cell.leaseToken, maxLeaseLosses, call.latencyMs, json(call.error), note],
    );
    const state = rows[0] ? parseCellState(rows[0].state) : null;
    return state === 'pending' || state === 'failed' ? state : 'fenced';
  }

  /**
   * Hands a claim back without counting a failure: `released` (shutdown) and `deferred` (breaker) return the cell
   * to the queue; `cancelled` ends it. Fenced by the lease token.
   */
  async release(cell: ClaimedCell, reason: ReleaseReason, delayMs = 0, call: Partial<CallRecord> = {}): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `WITH fenced AS (
         UPDATE executions
            SET state = CASE WHEN $3 = ${OUTCOME_SQL.cancelled} THEN ${CELL_SQL.cancelled} ELSE ${CELL_SQL.pending} END,
                finished_at = CASE WHEN $3 = ${OUTCOME_SQL.cancelled} THEN now() ELSE NULL END,
                run_after = now() + make_interval(secs => $4::double precision / 1000), updated_at = now(),
                lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_token = $2 AND state = ${CELL_SQL.running}
          RETURNING id)
       UPDATE execution_attempts a
          SET ended_at = greatest(now(), a.started_at), outcome = $3, latency_ms = $5, error = $6::jsonb
        WHERE a.lease_token = $2 AND a.outcome IS NULL AND EXISTS (SELECT 1 FROM fenced)
       RETURNING a.id`,
      [cell.id, cell.leaseToken, reason, delayMs, call.latencyMs ?? null, json(storableValue(redactSecretsDeep(call.error ?? null)))],
    );
    return rows.length > 0;
  }

  /**
   * Returns cells whose lease expired to the queue, re-checking the expiry in the same statement, and marks their open
   * attempts `lease_expired` ({@link leaseLossSet}: a lost call counts as a lease loss, not a failure; the cell fails
   * at `maxLeaseLosses`). A lease that expired before its call started (claimed ahead, never called) counts as
   * neither. Safe to run in every daemon.
   */
  async reap(limit = 500, graceMs = 1000, maxLeaseLosses: number = ENGINE_LIMITS.maxLeaseLossesPerCell): Promise<number> {
    return (await this.reapCells(limit, graceMs, maxLeaseLosses)).length;
  }

  /** {@link reap}, returning each reaped cell's region, model and new state. */
  async reapCells(limit = 500, graceMs = 1000, maxLeaseLosses: number = ENGINE_LIMITS.maxLeaseLossesPerCell): Promise<ReapedCell[]> {
    const rows = await queryRows<ReapedRow>(
      this.ds,
      takeBackExpired({
        pick: `e.lease_expires_at < now() - make_interval(secs => $2::double precision / 1000)
          ORDER BY e.lease_expires_at LIMIT $1
          FOR UPDATE OF e SKIP LOCKED`,
        maxParam: '$3',
        by: null,
      }),
      [limit, graceMs, maxLeaseLosses],
    );
    return rows.map(reapedCell);
  }

  /** Which of `ids` are running with an expired lease now: what {@link requeueExpired} would take back. */
  async expiredLeases(ids: string[]): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `SELECT id FROM executions WHERE id = ANY($1::bigint[]) AND state = ${CELL_SQL.running} AND lease_expires_at < now()
        ORDER BY id`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The reaper for named cells (the reconciler's `requeue_stuck` repair): the reaper's statement and rule
   * ({@link leaseLossSet}), without its grace and waiting for locks instead of skipping them, the error naming `by`.
   * Wakes idle runners when it took a cell back (delivered on commit). Returns the cells it took back.
   */
  async requeueExpired(
    ids: string[],
    by: string,
    jobId: string | null,
    maxLeaseLosses: number = ENGINE_LIMITS.maxLeaseLossesPerCell,
  ): Promise<ReapedCell[]> {
    const rows = await queryRows<ReapedRow>(
      this.ds,
      takeBackExpired({
        pick: `e.id = ANY($1::bigint[]) AND e.lease_expires_at < now()
          FOR UPDATE OF e`,
        maxParam: '$2',
        by,
      }),
      [ids, maxLeaseLosses],
    );
    if (rows.length > 0) await queryRows(this.ds, 'SELECT pg_notify($1, $2)', [WORK_CHANNEL, jobId ?? '']);
    return rows.map(reapedCell);
  }
}

/**
 * The statement that takes back expired leases, for the reaper and the requeue repair: locks the running cells `pick`
 * selects (a WHERE tail over `executions e`, with its ordering, limit and locking), re-checks the expiry in the
 * UPDATE, applies {@link leaseLossSet} and closes each cell's open attempt `lease_expired`.
 */
function takeBackExpired(o: { pick: string; maxParam: string; by: string | null }): string {
  return `WITH expired AS MATERIALIZED (
         SELECT e.id, EXISTS (SELECT 1 FROM execution_attempts a
                               WHERE a.execution_id = e.id AND a.attempt = e.attempts AND a.outcome IS NULL) AS called
           FROM executions e
          WHERE e.state = ${CELL_SQL.running} AND ${o.pick}),
       reaped AS (
         UPDATE executions e
            SET ${leaseLossSet(o.maxParam, o.by)}
           FROM expired x
          WHERE e.id = x.id AND e.state = ${CELL_SQL.running} AND e.lease_expires_at < now()
          RETURNING e.id, e.job_id, e.question_id, e.attempts, e.region, e.model_id, e.state, x.called),
       closed AS (
         UPDATE execution_attempts a SET ended_at = greatest(now(), a.started_at), outcome = ${OUTCOME_SQL.lease_expired}
           FROM reaped r WHERE a.execution_id = r.id AND a.attempt = r.attempts AND a.outcome IS NULL)
       SELECT id, job_id, question_id, attempts, region, model_id, state, called FROM reaped ORDER BY id`;
}

function claimedCell(r: ClaimedRow): ClaimedCell {
  return {
    ...cellIdentity(r),
    attempt: r.attempts,
    failures: r.failures,
    maxAttempts: r.max_attempts,
    leaseToken: r.lease_token,
    traceId: r.trace_id,
    leaseLosses: r.lease_losses,
  };
}

function reapedCell(r: ReapedRow): ReapedCell {
  const state = parseCellState(r.state);
  return {
    id: r.id,
    jobId: r.job_id,
    questionId: r.question_id,
    attempt: r.attempts,
    region: r.region,
    modelId: r.model_id,
    state: state === 'failed' ? 'failed' : 'pending', // leaseLossSet sets no other state
    called: r.called,
  };
}

/**
 * The outcome of the call's own attempt row after a fenced cell update (a CTE `fenced` returning the cell when the lease
 * still held): `won` when it held; else `fenced`, unless the reaper already closed the row `lease_expired`.
 */
function fencedOutcome(won: string): string {
  return `CASE WHEN EXISTS (SELECT 1 FROM fenced) THEN ${won}
                               WHEN a.outcome IS NULL THEN ${OUTCOME_SQL.fenced} ELSE a.outcome END`;
}

/** Over `execution_attempts a`: the attempt row of the lease `$2`, still open or closed by the reaper meanwhile. */
const OWN_ATTEMPT = `a.lease_token = $2 AND (a.outcome IS NULL OR a.outcome = ${OUTCOME_SQL.lease_expired})`;

/**
 * The SET clause that takes back an expired lease, for every statement that does (the reaper, the reconciler's
 * repair), over `executions e` joined to `x` (whose `called` says the call had started). The rule: a call lost with
 * its lease may or may not have reached the upstream, and its runner, not the cell, is the likely culprit, so it counts
 * in `lease_losses`, never in `failures` (which `max_attempts` bounds: calls that reached the upstream and failed).
 * A cell whose calls are lost `maxParam` times fails (`kind: lease_expired`, with a message saying so), so a cell that
 * kills every runner that calls it cannot loop for ever. `by` names who reaped, when it is not a runner's reaper.
 */
export function leaseLossSet(maxParam: string, by: string | null): string {
  const losses = 'e.lease_losses + CASE WHEN x.called THEN 1 ELSE 0 END';
  const spent = `(x.called AND e.lease_losses + 1 >= ${maxParam}::int)`;
  return `state = CASE WHEN ${spent} THEN ${CELL_SQL.failed} ELSE ${CELL_SQL.pending} END,
                finished_at = CASE WHEN ${spent} THEN now() END,
                lease_losses = ${losses}, run_after = now(), updated_at = now(),
                last_error = jsonb_build_object('kind', 'lease_expired', 'owner', e.lease_owner, 'attempt', e.attempts,
                                                'leaseLosses', ${losses}${by ? `, 'by', '${by}'` : ''})
                  || CASE WHEN ${spent} THEN jsonb_build_object('message', format(
                       'calls lost with their runner''s lease %s times (limits.maxLeaseLossesPerCell)', ${losses}))
                     ELSE '{}'::jsonb END,
                lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL`;
}

function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

/** `provider_kind`, `served_region`, `region_observed`, `region_observed_allowed`, `provider_safety` of a call (NULLs when not known). */
function servedParams(call: CallRecord): [string | null, string | null, string | null, string[] | null, string | null] {
  const s = call.served;
  return s ? [s.providerKind, s.region, s.regionObserved, [...s.regionObservedAllowed], s.safety ?? null] : [null, null, null, null, null];
}
