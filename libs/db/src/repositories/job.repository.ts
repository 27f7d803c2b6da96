import { cellKeySql, type JobStatus, type NormalisedJobSpec, planAxes } from '@beacon/domain';
import { TransparencyRepository, type StoredSpecSignature } from './transparency.repository.js';
import type { DataSource, EntityManager } from 'typeorm';
import { databaseFault } from '../database-health.js';
import { WORK_CHANNEL } from '../live/live-listener.js';
import { queryRows } from './query.js';
import { ACTIVE_JOB_STATUSES_SQL, parseJobStatus } from './status-sql.js';

/** What `submit` did with a spec. */
export type SubmitOutcome =
  | { kind: 'created'; jobId: string; cells: number }
  | { kind: 'existing'; jobId: string; cells: number; status: JobStatus }
  | { kind: 'conflict'; jobId: string }
  | { kind: 'nonce_replayed'; keyId: string; nonce: string }
  | { kind: 'too_many_in_flight'; inFlight: number; limit: number }
  /** A statement overran statement_timeout (planning is the part that grows with the job); nothing was stored. */
  | { kind: 'planning_timed_out'; jobId: string; cells: number; planned: number };

/** Checks made in the submission's own transaction, so that a refused submission leaves no row behind. */
export interface SubmitGuard {
  /** A signed submission's nonce, recorded once per signing key; a second use is refused. */
  nonce?: { keyId: string; nonce: string; signedAt: Date; expiresAt: Date };
  /** Most jobs `submitter` may have queued or running, the new one included. */
  maxInFlight?: number;
}

/** A spec that passed validation, ready to be stored. */
export interface SubmitInput {
  spec: NormalisedJobSpec;
  /** The body exactly as received. */
  received: string;
  /** sha256 of the received spec's canonical JSON: equal hashes mean an identical resubmission. */
  hash: string;
  submitter: string | null;
  traceparent: string | null;
  guard?: SubmitGuard;
  /** The schedule and run number the job is fired as (none for a submitted job). */
  schedule?: { id: string; run: number };
  /** How the spec was signed, kept for the job's evidence bundle. */
  signature?: StoredSpecSignature;
}

/** Unwinds a submission's transaction with the outcome to report. */
class Refused extends Error {
  constructor(readonly outcome: SubmitOutcome) {
    super(outcome.kind);
  }
}

/** Writes jobs and plans their cells. */
export class JobRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Stores the job and one executions row per cell in one transaction. Concurrent identical submissions race on the
   * primary key: the loser's INSERT waits for the winner to commit, then finds its row and reports `existing`.
   */
  async submit(input: SubmitInput): Promise<SubmitOutcome> {
    const progress = { planned: 0 };
    try {
      return await this.store(input, progress);
    } catch (err) {
      if (err instanceof Refused) return err.outcome;
      // A statement of the submission overran statement_timeout: the transaction rolled back, nothing is stored.
      if (databaseFault(err) === 'timeout') {
        return { kind: 'planning_timed_out', jobId: input.spec.id, cells: input.spec.cells, planned: progress.planned };
      }
      throw err;
    }
  }

  private async store(input: SubmitInput, progress: { planned: number }): Promise<SubmitOutcome> {
    return this.ds.transaction((tx) => storeJob(tx, input, progress));
  }
}

/**
 * Stores the job and plans its cells on `tx`, the caller's transaction: a submission's own, or a schedule's firing
 * (which writes its tick row and advances the schedule in the same transaction). A refused guard throws
 * {@link Refused}, which rolls the transaction back; {@link JobRepository.submit} turns it into its outcome.
 */
export async function storeJob(tx: EntityManager, input: SubmitInput, progress: { planned: number }): Promise<SubmitOutcome> {
  const { spec, guard } = input;
  if (guard?.nonce) await recordNonce(tx, guard.nonce, spec.id);
  const inserted = await queryRows<{ id: string }>(
    tx,
    `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected, submitter, traceparent, trace_id,
                       max_cost_usd, prompt_tokens_bound, schedule_id, schedule_run)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [
      spec.id,
      spec.format,
      input.received,
      input.hash,
      JSON.stringify(spec),
      spec.cells,
      input.submitter,
      input.traceparent,
      traceIdOf(input.traceparent),
      spec.constraints.maxCostUsd ?? null,
      spec.promptTokensBound ?? null,
      input.schedule?.id ?? null,
      input.schedule?.run ?? null,
    ],
  );
  if (inserted.length === 0) {
    const found = await existingJob(tx, spec.id, input.hash);
    if (found.kind === 'conflict' && guard?.nonce) throw new Refused(found);
    return found;
  }
  if (guard?.maxInFlight !== undefined && input.submitter !== null) await checkInFlight(tx, input.submitter, guard.maxInFlight);
  if (input.signature) await TransparencyRepository.recordSpecSignature(tx, spec.id, input.signature);
  const planned = await planCells(tx, spec, progress);
  if (planned !== spec.cells) {
    throw new Error(`planned ${planned} cells for job ${spec.id} but the spec asks for ${spec.cells}`);
  }
  // Delivered on commit: idle runners claim the new cells now instead of at their next poll.
  await queryRows(tx, 'SELECT pg_notify($1, $2)', [WORK_CHANNEL, spec.id]);
  return { kind: 'created', jobId: spec.id, cells: planned };
}

async function existingJob(tx: EntityManager, id: string, hash: string): Promise<SubmitOutcome> {
  const [row] = await queryRows<{ spec_hash: string; cells_expected: number; status: string }>(
    tx,
    'SELECT spec_hash, cells_expected, status FROM jobs WHERE id = $1',
    [id],
  );
  if (!row) throw new Error(`job ${id} conflicted on insert but cannot be read`);
  if (row.spec_hash !== hash) return { kind: 'conflict', jobId: id };
  return { kind: 'existing', jobId: id, cells: row.cells_expected, status: parseJobStatus(row.status) };
}

async function recordNonce(tx: EntityManager, n: NonNullable<SubmitGuard['nonce']>, jobId: string): Promise<void> {
  // A concurrent submission with the same nonce waits here for the first to commit or roll back.
  const rows = await queryRows<{ '?column?': number }>(
    tx,
    `INSERT INTO spec_nonces (key_id, nonce, job_id, signed_at, expires_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (key_id, nonce) DO NOTHING RETURNING 1`,
    [n.keyId, n.nonce, jobId, n.signedAt, n.expiresAt],
  );
  if (rows.length === 0) throw new Refused({ kind: 'nonce_replayed', keyId: n.keyId, nonce: n.nonce });
}

async function checkInFlight(tx: EntityManager, submitter: string, limit: number): Promise<void> {
  // Serialises one submitter's submissions, so two at once cannot both see room for one more.
  await queryRows(tx, `SELECT pg_advisory_xact_lock(hashtextextended('beacon.inflight:' || $1, 0))`, [submitter]);
  const [row] = await queryRows<{ n: number }>(
    tx,
    `SELECT count(*)::int AS n FROM jobs WHERE submitter = $1 AND status IN ${ACTIVE_JOB_STATUSES_SQL}`,
    [submitter],
  );
  const inFlight = row?.n ?? 0;
  if (inFlight > limit) throw new Refused({ kind: 'too_many_in_flight', inFlight: inFlight - 1, limit });
}

/** How long one planning statement should take: far below any sensible statement_timeout (30 s by default). */
export const PLAN_STATEMENT_TARGET_MS = 500;
/** Cells in the first planning statement (about 0.15 s on an idle machine), and the bounds of later ones. */
const PLAN_CHUNK = { first: 5_000, min: 1_000, max: 50_000 };
/**
 * Jobs of more cells than this are planned in several statements, holding one pooled connection (and the job's
 * transaction) for seconds; callers bound how many such plannings run at once.
 */
export const PLAN_ONE_STATEMENT_CELLS = PLAN_CHUNK.first;

/**
 * Plans the matrix questions × variants × models × regions × replicates in chunks, all inside the submission's transaction (a
 * job is planned whole or not at all). Cell `i` of the flattened matrix, numbered replicate-major (replicate,
 * question, variant, model, region: ids follow that order, so first replicates are claimed first), is built from
 * `generate_series` over the chunk's range; each cell gets its own trace id, fixed now so every later attempt joins
 * the same trace. Each chunk is sized from the last one's duration to take about {@link PLAN_STATEMENT_TARGET_MS},
 * so no statement grows with the job and a slow or busy database gets smaller statements, not a timeout.
 * `progress.planned` counts the cells planned so far (for the message when a statement still times out).
 */
async function planCells(tx: EntityManager, spec: NormalisedJobSpec, progress: { planned: number }): Promise<number> {
  const axes = planAxes(spec);
  const perVariant = axes.modelIds.length * axes.regions.length;
  const perQuestion = axes.variants.length * perVariant;
  const perReplicate = axes.questionIds.length * perQuestion;
  const total = perReplicate * axes.repeats;
  let size = PLAN_CHUNK.first;
  for (let lo = 0; lo < total;) {
    const hi = Math.min(total, lo + size);
    const started = performance.now();
    // Cell i: replicate i / perReplicate, question (i % perReplicate) / perQuestion, variant (i / perVariant) %
    // variants, model (i / regions) % models, region i % regions. With one variant this is the order (and so the
    // ids) planning always gave.
    const [row] = await queryRows<{ n: number }>(
      tx,
      `WITH planned AS (
       INSERT INTO executions (job_id, question_id, model_id, region, variant, replicate, max_attempts, trace_id)
       SELECT $1, ($2::text[])[(i % $8) / $9 + 1], ($3::text[])[(i / $10) % $11 + 1], ($4::text[])[i % $10 + 1],
              ($12::text[])[(i / $13) % $14 + 1], i / $8, $5, replace(gen_random_uuid()::text, '-', '')
         FROM generate_series($6::int, $7::int - 1) AS i
        ORDER BY i
       ON CONFLICT (${cellKeySql()}) WHERE NOT imported DO NOTHING
       RETURNING 1)
       SELECT count(*)::int AS n FROM planned`,
      [
        spec.id,
        axes.questionIds,
        axes.modelIds,
        axes.regions,
        spec.parameters.maxAttempts,
        lo,
        hi,
        perReplicate,
        perQuestion,
        axes.regions.length,
        axes.modelIds.length,
        axes.variants,
        perVariant,
        axes.variants.length,
      ],
    );
    progress.planned += row?.n ?? 0;
    const ms = Math.max(1, performance.now() - started);
    size = Math.min(PLAN_CHUNK.max, Math.max(PLAN_CHUNK.min, Math.round(((hi - lo) * PLAN_STATEMENT_TARGET_MS) / ms)));
    lo = hi;
  }
  return progress.planned;
}

function traceIdOf(traceparent: string | null): string | null {
  const m = traceparent?.match(/^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/);
  return m ? m[1]! : null;
}
