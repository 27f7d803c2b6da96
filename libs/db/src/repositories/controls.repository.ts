import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query.js';
import { CELL_SQL } from './status-sql.js';
import { KEY_CONTROLS_CHANGED, WORK_CHANNEL } from '../live/live-listener.js';

/** An operator's control of one (region, model): paused or not, and its concurrency override. */
export interface KeyControl {
  region: string;
  modelId: string;
  pausedAt: Date | null;
  pausedBy: string | null;
  /**
   * Cells of this (region, model) held at once across all daemons (claimed ahead or calling, so calls in flight too),
   * in place of the region's concurrency, up or down; null: the region's. See `QueueRepository.claim`.
   */
  concurrency: number | null;
  updatedAt: Date;
  updatedBy: string;
}

/** What an operator changes of a (region, model): a field left out is kept. */
export interface KeyControlChange {
  paused?: boolean;
  /** null removes the override. */
  concurrency?: number | null;
}

/** A daemon as the daemons view shows it. */
export interface DaemonRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  regions: string[] | null;
  startedAt: Date;
  lastSeenAt: Date;
  stoppedAt: Date | null;
  drainingAt: Date | null;
  drainingBy: string | null;
  /** Seconds since its last heartbeat, on the database clock. */
  silentForS: number;
  /** Cells it holds, per (region, model): `held` leased (claimed ahead or calling), `calling` with a call open. */
  claims: { region: string; modelId: string; held: number; calling: number }[];
}

interface KeyControlRow {
  region: string;
  model_id: string;
  paused_at: Date | null;
  paused_by: string | null;
  concurrency: number | null;
  updated_at: Date;
  updated_by: string;
}

interface DaemonDbRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  regions: string[] | null;
  started_at: Date;
  last_seen_at: Date;
  stopped_at: Date | null;
  draining_at: Date | null;
  draining_by: string | null;
  silent_s: number;
  claims: { region: string; model_id: string; held: number; calling: number }[];
}

const keyControl = (r: KeyControlRow): KeyControl => ({
  region: r.region,
  modelId: r.model_id,
  pausedAt: r.paused_at,
  pausedBy: r.paused_by,
  concurrency: r.concurrency,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

/**
 * Operator controls that are not a cell's or a job's state: the pause and concurrency override of a (region, model)
 * (`key_controls`), and draining a daemon (`runners.draining_at`). Every daemon reads them from here, so they hold
 * across the fleet: the claim statement skips a paused key and claims nothing for a draining daemon, and
 * `startAttempts` does not call cells claimed ahead for either (`QueueRepository`). Each change is one statement.
 */
export class ControlsRepository {
  constructor(private readonly ds: DataSource | EntityManager) {}

  /** Every (region, model) paused or with a concurrency override, by region then model. */
  async keyControls(): Promise<KeyControl[]> {
    const rows = await queryRows<KeyControlRow>(
      this.ds,
      'SELECT * FROM key_controls WHERE paused_at IS NOT NULL OR concurrency IS NOT NULL ORDER BY region, model_id',
    );
    return rows.map(keyControl);
  }

  /** The concurrency overrides in force, for the engine to size its slots (one indexed read of a small table). */
  async concurrencyOverrides(): Promise<{ region: string; modelId: string; concurrency: number }[]> {
    const rows = await queryRows<{ region: string; model_id: string; concurrency: number }>(
      this.ds,
      'SELECT region, model_id, concurrency FROM key_controls WHERE concurrency IS NOT NULL ORDER BY region, model_id',
    );
    return rows.map((r) => ({ region: r.region, modelId: r.model_id, concurrency: r.concurrency }));
  }

  /**
   * Changes the control of a (region, model) in one statement: an upsert of the fields given (a pause keeps its first
   * time and principal while it lasts). A row left controlling nothing (not paused, no override) stays, with who
   * changed it last, and is not listed. Lifting a pause or changing an override announces it on the work channel with
   * the payload {@link KEY_CONTROLS_CHANGED}: every daemon re-reads its overrides and resizes its slots. Returns the
   * control afterwards, null when it controls nothing any more.
   */
  async changeKey(region: string, modelId: string, change: KeyControlChange, by: string): Promise<KeyControl | null> {
    const rows = await queryRows<KeyControlRow>(
      this.ds,
      `WITH up AS (
         INSERT INTO key_controls AS k (region, model_id, paused_at, paused_by, concurrency, updated_by)
         VALUES ($1, $2, CASE WHEN $3::boolean THEN now() END, CASE WHEN $3::boolean THEN $6 END,
                 CASE WHEN $4 THEN $5::int END, $6)
         ON CONFLICT (region, model_id) DO UPDATE
            SET paused_at = CASE WHEN $3::boolean IS NULL THEN k.paused_at WHEN $3 THEN coalesce(k.paused_at, now()) END,
                paused_by = CASE WHEN $3::boolean IS NULL THEN k.paused_by WHEN $3 THEN coalesce(k.paused_by, $6) END,
                concurrency = CASE WHEN $4 THEN $5::int ELSE k.concurrency END,
                updated_at = now(), updated_by = $6
         RETURNING k.*),
       woken AS (SELECT pg_notify('${WORK_CHANNEL}', '${KEY_CONTROLS_CHANGED}') FROM up WHERE $3::boolean IS NOT TRUE)
       SELECT up.*, (SELECT count(*) FROM woken)::int AS woken FROM up`,
      [region, modelId, change.paused ?? null, change.concurrency !== undefined, change.concurrency ?? null, by],
    );
    const row = rows[0];
    return !row || (row.paused_at === null && row.concurrency === null) ? null : keyControl(row);
  }

  /**
   * Drains (`draining` true) a daemon, or lets it claim again: one statement. A draining daemon claims nothing and
   * does not call the cells it had claimed ahead (it hands them back); its calls in flight finish. Returns the
   * daemon's row afterwards, null for an unknown id.
   */
  async setDraining(runnerId: string, draining: boolean, by: string): Promise<DaemonRow | null> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `WITH d AS (
         UPDATE runners SET draining_at = CASE WHEN $2 THEN coalesce(draining_at, now()) END,
                            draining_by = CASE WHEN $2 THEN coalesce(draining_by, $3) END
          WHERE id = $1 RETURNING id)
       SELECT id, (SELECT count(pg_notify('${WORK_CHANNEL}', '')) FROM d WHERE NOT $2)::int AS woken FROM d`,
      [runnerId, draining, by],
    );
    if (rows.length === 0) return null;
    return (await this.daemons(runnerId))[0] ?? null;
  }

  /**
   * The daemons on this database, newest first (or the one with `id`): registration, heartbeat, draining, and the
   * cells each holds per (region, model), counted from `executions` (leases) and `execution_attempts` (open calls).
   * Stopped daemons are listed while they have been seen within `recentS` seconds.
   */
  async daemons(id: string | null = null, recentS = 86_400): Promise<DaemonRow[]> {
    const rows = await queryRows<DaemonDbRow>(
      this.ds,
      `SELECT r.id, r.host, r.pid, r.version, r.regions, r.started_at, r.last_seen_at, r.stopped_at, r.draining_at,
              r.draining_by, extract(epoch FROM now() - r.last_seen_at)::float8 AS silent_s,
              coalesce((SELECT jsonb_agg(jsonb_build_object('region', c.region, 'model_id', c.model_id, 'held', c.held,
                                                            'calling', c.calling) ORDER BY c.region, c.model_id)
                          FROM (SELECT e.region, e.model_id, count(*)::int AS held,
                                       count(*) FILTER (WHERE EXISTS (
                                         SELECT 1 FROM execution_attempts a
                                          WHERE a.execution_id = e.id AND a.lease_token = e.lease_token AND a.outcome IS NULL))::int AS calling
                                  FROM executions e
                                 WHERE e.state = ${CELL_SQL.running} AND e.lease_owner = r.id
                                 GROUP BY 1, 2) c), '[]'::jsonb) AS claims
         FROM runners r
        WHERE ($1::text IS NULL OR r.id = $1)
          AND ($1::text IS NOT NULL OR r.stopped_at IS NULL OR r.last_seen_at > now() - make_interval(secs => $2::double precision))
        ORDER BY r.started_at DESC, r.id`,
      [id, recentS],
    );
    return rows.map((r) => ({
      id: r.id,
      host: r.host,
      pid: r.pid,
      version: r.version,
      regions: r.regions,
      startedAt: r.started_at,
      lastSeenAt: r.last_seen_at,
      stoppedAt: r.stopped_at,
      drainingAt: r.draining_at,
      drainingBy: r.draining_by,
      silentForS: r.silent_s,
      claims: r.claims.map((c) => ({ region: c.region, modelId: c.model_id, held: c.held, calling: c.calling })),
    }));
  }
}
