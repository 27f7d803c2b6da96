import type { DataSource, EntityManager } from 'typeorm';
import {
  DELIVERY_OUTCOMES,
  FINDING_SEVERITIES,
  OUTBOX_STATES,
  redactSecrets,
  type DeliveryOutcome,
  type FindingSeverity,
  type NotificationDeliveryView,
  type NotificationEvent,
  type NotificationOutboxView,
  type NotificationRetryView,
  type NotificationRoute,
  type NotificationSinkSummaryView,
  type OutboxState,
} from '@beacon/domain';
import { queryRows } from './query.js';
import { DELIVERY_SQL, OUTBOX_SQL } from './status-sql.js';

/** Longest error text kept on an outbox or delivery row (already redacted). */
export const MAX_NOTIFY_ERROR_CHARS = 500;

/**
 * The parameters of {@link outboxEnqueueCte}, from the configured routes: one row per (sink, rule) with the sink's
 * lowest severity (as its rank) and attempt budget, as four arrays.
 */
export function outboxEnqueueParams(routes: readonly NotificationRoute[]): [string[], string[], number[], number[]] {
  const rows = routes.flatMap((r) => r.rules.map((rule) => ({ r, rule })));
  return [
    rows.map((x) => x.r.sinkId),
    rows.map((x) => x.rule),
    rows.map((x) => FINDING_SEVERITIES.indexOf(x.r.minSeverity)),
    rows.map((x) => x.r.maxAttempts),
  ];
}

/**
 * The enqueue step, as CTEs to append to the statement that writes findings: for each row of `source` (a CTE over
 * `reconciler_findings` returning `id, rule_id, severity, job_id, summary, evidence, first_seen_at, occurrences`) that
 * was inserted rather than seen again (`occurrences = 1`: a re-sighting increments it), one outbox row per sink whose
 * rules name the finding's rule and whose minimum severity it reaches, with the event frozen as it is now. Being part
 * of the statement that inserts the finding, it commits with it or not at all; UNIQUE (finding_id, sink_id) and
 * ON CONFLICT DO NOTHING make a second enqueue of one finding impossible. `p` is the number of the first of the four
 * parameters {@link outboxEnqueueParams} gives. The final SELECT must name {@link OUTBOX_ENQUEUED_SQL}.
 */
export function outboxEnqueueCte(source: string, p: number): string {
  return `enqueued AS (
         INSERT INTO notification_outbox (finding_id, sink_id, payload, max_attempts)
         SELECT f.id, s.sink_id,
                jsonb_build_object('event', 'finding', 'finding', jsonb_build_object(
                  'id', f.id::text, 'ruleId', f.rule_id, 'severity', f.severity, 'jobId', f.job_id, 'summary', f.summary,
                  'evidence', f.evidence, 'firstSeenAt', to_char(f.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
                s.max_attempts
           FROM ${source} f
           JOIN unnest($${p}::text[], $${p + 1}::text[], $${p + 2}::int[], $${p + 3}::int[]) AS s(sink_id, rule_id, min_rank, max_attempts)
             ON s.rule_id = f.rule_id
          WHERE f.occurrences = 1
            AND array_position(ARRAY[${FINDING_SEVERITIES.map((s) => `'${s}'`).join(',')}]::text[], f.severity) - 1 >= s.min_rank
         ON CONFLICT (finding_id, sink_id) DO NOTHING
         RETURNING id)`;
}

/**
 * The select-list expression that goes with {@link outboxEnqueueCte} in the statement's final SELECT (an unreferenced
 * CTE is not run): announces new rows on {@link NOTIFY_CHANNEL} (delivered on commit) and counts them.
 */
export const OUTBOX_ENQUEUED_SQL = `(SELECT count(*) FROM enqueued)::int AS enqueued,
       (SELECT count(pg_notify('beacon_notify', '')) FROM (SELECT 1 FROM enqueued LIMIT 1) x)::int AS announced`;

/** The channel announcing new outbox rows: idle delivery workers claim at once instead of at their next poll. */
export const NOTIFY_CHANNEL = 'beacon_notify';

/** A sink a daemon can deliver to, as the claim needs it: its id and the host logged for each attempt. */
export interface ClaimSink {
  id: string;
  host: string;
}

/** An outbox row leased to this daemon for one HTTP attempt. */
export interface ClaimedDelivery {
  id: string;
  findingId: string;
  sinkId: string;
  event: NotificationEvent;
  /** This attempt, 1-based (the claim counts it). */
  attempt: number;
  maxAttempts: number;
  leaseToken: string;
  /** The row was taken over from a daemon whose lease expired mid-attempt (its delivery row closed `lease_expired`). */
  reclaimed: boolean;
}

/** How one attempt ends, as {@link NotificationRepository.finish} records it. */
export interface DeliveryEnd {
  state: 'delivered' | 'pending' | 'dead';
  outcome: 'delivered' | 'retry' | 'dead';
  /** For `pending`: when to try again, from now. */
  delayMs: number;
  durationMs: number;
  httpStatus: number | null;
  /** Why it failed (redacted and cut here again, whatever the caller did). */
  error: string | null;
}

interface ClaimedRow {
  id: string;
  finding_id: string;
  sink_id: string;
  payload: NotificationEvent;
  attempts: number;
  max_attempts: number;
  lease_token: string;
  was: string;
}

interface OutboxRow {
  id: string;
  finding_id: string;
  sink_id: string;
  rule_id: string;
  severity: string;
  state: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
}

interface DeliveryRow {
  id: string;
  outbox_id: string;
  sink_id: string;
  host: string;
  attempt: number;
  runner_id: string;
  started_at: Date;
  duration_ms: number | null;
  http_status: number | null;
  outcome: string | null;
  error: string | null;
}

/** Why an attempt's row was closed by someone other than the daemon that made it. */
const LOST_ERROR = 'the daemon posting it stopped before recording an answer (its lease expired)';

/**
 * The notification outbox and its delivery log: claim (SKIP LOCKED, with a lease and a fencing token), the fenced end
 * of an attempt, dead-lettering of rows whose last attempt was lost, an operator's retry, and the reads. Each
 * method is one statement. Invariants: a row is `delivering` exactly while a lease token is on it; each claim opens
 * exactly one delivery row (attempt = the row's `attempts` after the claim), which is closed once, by the daemon that
 * holds the token or by the claim that takes an expired lease over; a write naming a token no longer on the row
 * changes no outbox row. Times come from the database clock only.
 */
export class NotificationRepository {
  constructor(private readonly ds: DataSource | EntityManager) {}

  /**
   * Leases up to `limit` due rows of these sinks to `runnerId` for `leaseMs`: pending rows whose time has come, and
   * rows whose lease expired mid-attempt with attempts left (their open delivery row is closed `lease_expired`).
   * Opens one delivery row per claimed row.
   */
  async claim(runnerId: string, sinks: readonly ClaimSink[], limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    if (sinks.length === 0 || limit <= 0) return [];
    const rows = await queryRows<ClaimedRow>(
      this.ds,
      `WITH picked AS MATERIALIZED (
         SELECT o.id, o.state FROM notification_outbox o
          WHERE o.sink_id = ANY($2::text[])
            AND ((o.state = ${OUTBOX_SQL.pending} AND o.next_attempt_at <= now())
                 OR (o.state = ${OUTBOX_SQL.delivering} AND o.lease_expires_at < now() AND o.attempts < o.max_attempts))
          ORDER BY o.next_attempt_at, o.id
          LIMIT $4
          FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE notification_outbox o
            SET state = ${OUTBOX_SQL.delivering}, attempts = o.attempts + 1, lease_owner = $1, lease_token = gen_random_uuid(),
                lease_expires_at = now() + make_interval(secs => $5::double precision / 1000)
           FROM picked p
          WHERE o.id = p.id
         RETURNING o.id, o.finding_id, o.sink_id, o.payload, o.attempts, o.max_attempts, o.lease_token, p.state AS was),
       lost AS (
         UPDATE notification_deliveries d
            SET outcome = ${DELIVERY_SQL.lease_expired}, ended_at = greatest(now(), d.started_at), error = $6
           FROM claimed c
          WHERE c.was = ${OUTBOX_SQL.delivering} AND d.outbox_id = c.id AND d.outcome IS NULL),
       opened AS (
         INSERT INTO notification_deliveries (outbox_id, sink_id, host, attempt, runner_id, lease_token)
         SELECT c.id, c.sink_id, h.host, c.attempts, $1, c.lease_token
           FROM claimed c JOIN unnest($2::text[], $3::text[]) AS h(sink_id, host) ON h.sink_id = c.sink_id)
       SELECT id, finding_id, sink_id, payload, attempts, max_attempts, lease_token, was FROM claimed ORDER BY id`,
      [runnerId, sinks.map((s) => s.id), sinks.map((s) => s.host), limit, leaseMs, LOST_ERROR],
    );
    return rows.map((r) => ({
      id: r.id,
      findingId: r.finding_id,
      sinkId: r.sink_id,
      event: r.payload,
      attempt: r.attempts,
      maxAttempts: r.max_attempts,
      leaseToken: r.lease_token,
      reclaimed: r.was === 'delivering',
    }));
  }

  /**
   * Records the end of an attempt: the outbox row's new state (fenced by the lease token) and the attempt's delivery
   * row. Returns `fenced` when the lease was no longer this daemon's (the row is then left to its new owner and the
   * attempt is logged `fenced`, with what the receiver answered).
   */
  async finish(d: ClaimedDelivery, end: DeliveryEnd): Promise<'won' | 'fenced'> {
    const error = end.error === null ? null : redactSecrets(end.error).slice(0, MAX_NOTIFY_ERROR_CHARS);
    const [row] = await queryRows<{ won: boolean }>(
      this.ds,
      `WITH fenced AS (
         UPDATE notification_outbox
            SET state = $3,
                next_attempt_at = CASE WHEN $3 = ${OUTBOX_SQL.pending}
                                       THEN now() + make_interval(secs => $4::double precision / 1000) ELSE next_attempt_at END,
                delivered_at = CASE WHEN $3 = ${OUTBOX_SQL.delivered} THEN now() END,
                dead_at = CASE WHEN $3 = ${OUTBOX_SQL.dead} THEN now() END,
                last_error = $5, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_token = $2 AND state = ${OUTBOX_SQL.delivering}
          RETURNING id),
       logged AS (
         UPDATE notification_deliveries d
            SET ended_at = greatest(now(), d.started_at), duration_ms = $6, http_status = $7, error = $5,
                outcome = CASE WHEN EXISTS (SELECT 1 FROM fenced) THEN $8 ELSE ${DELIVERY_SQL.fenced} END
          WHERE d.outbox_id = $1 AND d.lease_token = $2
          RETURNING d.id)
       SELECT EXISTS (SELECT 1 FROM fenced) AS won, (SELECT count(*) FROM logged)::int AS logged`,
      [
        d.id,
        d.leaseToken,
        end.state,
        Math.max(0, end.delayMs),
        error,
        Math.max(0, Math.round(end.durationMs)),
        end.httpStatus,
        end.outcome,
      ],
    );
    return row?.won ? 'won' : 'fenced';
  }

  /**
   * Dead-letters rows of these sinks whose lease expired during their last allowed attempt (the claim takes over
   * only rows with attempts left), closing that attempt `lease_expired`. Returns them.
   */
  async deadLetterLost(sinkIds: readonly string[]): Promise<{ id: string; sinkId: string }[]> {
    const rows = await queryRows<{ id: string; sink_id: string }>(
      this.ds,
      `WITH gone AS (
         UPDATE notification_outbox o
            SET state = ${OUTBOX_SQL.dead}, dead_at = now(), lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                last_error = format('attempts exhausted (%s/%s): the last attempt was lost with its daemon', o.attempts, o.max_attempts)
          WHERE o.id IN (SELECT id FROM notification_outbox
                          WHERE state = ${OUTBOX_SQL.delivering} AND lease_expires_at < now() AND attempts >= max_attempts
                            AND sink_id = ANY($1::text[])
                          FOR UPDATE SKIP LOCKED)
         RETURNING o.id, o.sink_id),
       closed AS (
         UPDATE notification_deliveries d SET outcome = ${DELIVERY_SQL.lease_expired}, ended_at = greatest(now(), d.started_at), error = $2
           FROM gone g WHERE d.outbox_id = g.id AND d.outcome IS NULL)
       SELECT id, sink_id FROM gone ORDER BY id`,
      [sinkIds, LOST_ERROR],
    );
    return rows.map((r) => ({ id: r.id, sinkId: r.sink_id }));
  }

  /**
   * An operator's retry of a dead row: back to pending now, with its sink's attempt budget (`budgets`, else
   * `fallback`) more attempts than it has made (the attempt count and the delivery log go on; nothing is erased). `not_found` for no such row, `not_dead` for a row in
   * another state (a pending or delivered row needs no retry).
   */
  async retry(
    id: string,
    budgets: ReadonlyMap<string, number>,
    fallback: number,
  ): Promise<NotificationRetryView | 'not_found' | 'not_dead'> {
    const [row] = await queryRows<{ id: string; sink_id: string; state: string; max_attempts: number; changed: boolean }>(
      this.ds,
      `WITH changed AS (
         UPDATE notification_outbox
            SET state = ${OUTBOX_SQL.pending}, next_attempt_at = now(), dead_at = NULL,
                max_attempts = attempts + coalesce((SELECT b.n FROM unnest($2::text[], $3::int[]) AS b(sink_id, n)
                                                     WHERE b.sink_id = notification_outbox.sink_id), $4)
          WHERE id = $1 AND state = ${OUTBOX_SQL.dead}
          RETURNING id, sink_id, state, max_attempts)
       SELECT id, sink_id, state, max_attempts, true AS changed FROM changed, LATERAL (SELECT pg_notify('${NOTIFY_CHANNEL}', '')) n
       UNION ALL
       SELECT id, sink_id, state, max_attempts, false FROM notification_outbox WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM changed)`,
      [id, [...budgets.keys()], [...budgets.values()].map((n) => Math.max(1, n)), Math.max(1, fallback)],
    );
    if (!row) return 'not_found';
    if (!row.changed) return 'not_dead';
    return { id: row.id, sinkId: row.sink_id, state: parseOutboxState(row.state), maxAttempts: row.max_attempts };
  }

  /** Outbox rows counted by sink and state, with the age of each sink's oldest row not yet delivered or dead. */
  async summary(): Promise<NotificationSinkSummaryView[]> {
    const rows = await queryRows<{ sink_id: string; state: string; n: number; oldest: number | null }>(
      this.ds,
      `SELECT sink_id, state, count(*)::int AS n,
              extract(epoch FROM now() - min(created_at))::float8 AS oldest
         FROM notification_outbox GROUP BY sink_id, state ORDER BY sink_id, state`,
    );
    const bySink = new Map<string, NotificationSinkSummaryView>();
    for (const r of rows) {
      let s = bySink.get(r.sink_id);
      if (!s) {
        s = {
          sinkId: r.sink_id,
          states: Object.fromEntries(OUTBOX_STATES.map((st) => [st, 0])) as Record<OutboxState, number>,
          oldestPendingSeconds: null,
        };
        bySink.set(r.sink_id, s);
      }
      const state = parseOutboxState(r.state);
      s.states[state] = r.n;
      if ((state === 'pending' || state === 'delivering') && r.oldest !== null) {
        s.oldestPendingSeconds = Math.max(s.oldestPendingSeconds ?? 0, Math.max(0, r.oldest));
      }
    }
    return [...bySink.values()];
  }

  /** Outbox rows, newest first, optionally of one sink and state; keyset-paged by id. */
  async outbox(
    filter: { sinkId?: string; state?: OutboxState },
    limit: number,
    cursor: string | null,
  ): Promise<{ items: NotificationOutboxView[]; nextCursor: string | null }> {
    const rows = await queryRows<OutboxRow>(
      this.ds,
      `SELECT o.id, o.finding_id, o.sink_id, o.payload->'finding'->>'ruleId' AS rule_id, o.payload->'finding'->>'severity' AS severity,
              o.state, o.attempts, o.max_attempts, o.next_attempt_at, o.last_error, o.created_at, o.delivered_at, o.dead_at
         FROM notification_outbox o
        WHERE ($1::text IS NULL OR o.sink_id = $1) AND ($2::text IS NULL OR o.state = $2) AND ($3::bigint IS NULL OR o.id < $3::bigint)
        ORDER BY o.id DESC LIMIT $4`,
      [filter.sinkId ?? null, filter.state ?? null, cursor, limit + 1],
    );
    const items = rows.slice(0, limit).map(outboxView);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  /** The delivery log, newest first, optionally of one sink or one outbox row; keyset-paged by id. */
  async deliveries(
    filter: { sinkId?: string; outboxId?: string },
    limit: number,
    cursor: string | null,
  ): Promise<{ items: NotificationDeliveryView[]; nextCursor: string | null }> {
    const rows = await queryRows<DeliveryRow>(
      this.ds,
      `SELECT id, outbox_id, sink_id, host, attempt, runner_id, started_at, duration_ms, http_status, outcome, error
         FROM notification_deliveries
        WHERE ($1::text IS NULL OR sink_id = $1) AND ($2::bigint IS NULL OR outbox_id = $2::bigint) AND ($3::bigint IS NULL OR id < $3::bigint)
        ORDER BY id DESC LIMIT $4`,
      [filter.sinkId ?? null, filter.outboxId ?? null, cursor, limit + 1],
    );
    const items = rows.slice(0, limit).map(deliveryView);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }
}

function parseOutboxState(value: string): OutboxState {
  const s = OUTBOX_STATES.find((x) => x === value);
  if (s === undefined) throw new Error(`not an outbox state: ${JSON.stringify(value)}`);
  return s;
}

function parseOutcome(value: string | null): DeliveryOutcome | null {
  if (value === null) return null;
  const o = DELIVERY_OUTCOMES.find((x) => x === value);
  if (o === undefined) throw new Error(`not a delivery outcome: ${JSON.stringify(value)}`);
  return o;
}

function parseSeverity(value: string): FindingSeverity {
  const s = FINDING_SEVERITIES.find((x) => x === value);
  if (s === undefined) throw new Error(`not a severity: ${JSON.stringify(value)}`);
  return s;
}

function outboxView(r: OutboxRow): NotificationOutboxView {
  return {
    id: r.id,
    findingId: r.finding_id,
    sinkId: r.sink_id,
    ruleId: r.rule_id,
    severity: parseSeverity(r.severity),
    state: parseOutboxState(r.state),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextAttemptAt: r.next_attempt_at.toISOString(),
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    deadAt: r.dead_at?.toISOString() ?? null,
  };
}

function deliveryView(r: DeliveryRow): NotificationDeliveryView {
  return {
    id: r.id,
    outboxId: r.outbox_id,
    sinkId: r.sink_id,
    host: r.host,
    attempt: r.attempt,
    runnerId: r.runner_id,
    startedAt: r.started_at.toISOString(),
    durationMs: r.duration_ms,
    httpStatus: r.http_status,
    outcome: parseOutcome(r.outcome),
    error: r.error,
  };
}
