import {
  CELL_KEY_FIELDS,
  buildReceipt,
  checkpointBody,
  consistencyProof,
  foldPieces,
  inclusionProof,
  leafHash,
  nodeHash,
  perfectPieces,
  receiptBytes,
  type PerfectNode,
  type Receipt,
  type ReceiptAttempt,
  type ReceiptCellKey,
  type SubtreeHashes,
} from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query.js';
import { CELL_SQL, TERMINAL_JOB_STATUSES_SQL } from './status-sql.js';

/** One daemon appends at a time, across every daemon on the database (the log's order is one sequence). */
export const TRANSPARENCY_LOCK_KEY = 7_263_015_124;

/** Receipts appended per transaction: each batch is one transaction and, with a signer, one signed head. */
export const TRANSPARENCY_BATCH = 2000;

/** Signs a checkpoint body as a signed note with the log's current key. */
export interface HeadSigner {
  keyId: string;
  origin: string;
  sign(body: string): string;
}

/** A stored signed tree head. */
export interface TreeHead {
  treeSize: number;
  rootHash: Buffer;
  origin: string;
  keyId: string;
  note: string;
  signedAt: Date;
}

/** One leaf as stored. */
export interface LogLeaf {
  leafIndex: number;
  executionId: string;
  jobId: string;
  receipt: Buffer;
  leafHash: Buffer;
}

/** How a job's spec was signed when it was submitted. */
export interface StoredSpecSignature {
  form: string;
  keyId: string;
  timestamp: string;
  nonce: string;
  signature: string | null;
  publicKey: string | null;
}

interface HeadRow {
  tree_size: string;
  root_hash: Buffer;
  origin: string;
  key_id: string;
  note: string;
  signed_at: Date;
}

interface LeafRow {
  leaf_index: string;
  execution_id: string;
  job_id: string;
  receipt: Buffer;
  leaf_hash: Buffer;
}

interface NodeRow {
  level: number;
  idx: string;
  hash: Buffer;
}

/** What a receipt is built from: the execution, its result attempt, its label's version, its attempt history. */
interface ReceiptRow {
  id: string;
  cell: ReceiptCellKey;
  state: string;
  response: string | null;
  finish_reason: string | null;
  classification: string | null;
  classification_rule: string | null;
  classifier_version: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string;
  region: string;
  model_id: string;
  system_prompt: string | null;
  user_prompt: string | null;
  parameters: unknown;
  provider_kind: string | null;
  upstream_request_id: string | null;
  served_region: string | null;
  region_observed: string | null;
  response_model: string | null;
  attempts: ReceiptAttempt[] | null;
}

/** Microsecond UTC timestamps, the same text on every read (a JS Date would drop the microseconds). */
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const RECEIPT_SELECT = `
  SELECT e.id::text AS id,
         jsonb_build_object(${CELL_KEY_FIELDS.map((f) => `'${f}', e.${f}`).join(', ')}) AS cell,
         e.state, e.response, e.finish_reason, e.classification, e.classification_rule, c.classifier_version,
         ${iso('e.created_at')} AS created_at, ${iso('e.started_at')} AS started_at, ${iso('e.finished_at')} AS finished_at,
         e.region, e.model_id,
         a.system_prompt, a.user_prompt, a.parameters, a.provider_kind, a.upstream_request_id, a.served_region,
         a.region_observed, a.response_model,
         (SELECT jsonb_agg(jsonb_build_object('attempt', x.attempt, 'outcome', x.outcome, 'http_status', x.http_status,
                                              'started_at', ${iso('x.started_at')}, 'ended_at', ${iso('x.ended_at')})
                           ORDER BY x.attempt)
            FROM execution_attempts x WHERE x.execution_id = e.id) AS attempts
    FROM executions e
    LEFT JOIN LATERAL (
      SELECT * FROM execution_attempts a WHERE a.execution_id = e.id
       ORDER BY (a.attempt = e.result_attempt) DESC NULLS LAST, a.attempt DESC LIMIT 1) a ON true
    LEFT JOIN LATERAL (
      SELECT classifier_version FROM classifications k
       WHERE k.execution_id = e.id AND k.label = e.classification ORDER BY k.id DESC LIMIT 1) c ON true`;

function receiptOf(r: ReceiptRow): Receipt {
  return buildReceipt({
    execution_id: r.id,
    cell: r.cell,
    state: r.state,
    prompt: { system: r.system_prompt, user: r.user_prompt },
    parameters: r.parameters ?? null,
    provider: { kind: r.provider_kind, request_id: r.upstream_request_id },
    region: { requested: r.region, served: r.served_region, observed: r.region_observed },
    model: { requested: r.model_id, reported: r.response_model },
    response: r.response,
    finish_reason: r.finish_reason,
    label:
      r.classification === null ? null : { label: r.classification, rule: r.classification_rule, classifier_version: r.classifier_version },
    timestamps: { created_at: r.created_at, started_at: r.started_at, finished_at: r.finished_at },
    attempts: r.attempts ?? [],
  });
}

const key = (n: PerfectNode) => `${n.level}:${n.index}`;

/**
 * The evidence log's one writer and reader: appends the receipts of committed executions (each exactly once, under an
 * advisory lock, in execution order), keeps every perfect subtree's hash so that proofs read O(log n) rows, signs a
 * tree head per batch, and answers heads and proofs. Rows are never changed: the tables refuse it.
 */
export class TransparencyRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Logs the receipts of the committed (succeeded or failed) executions of `jobId` not yet logged, in batches; with
   * `markJob`, records that the job is fully logged (it is finished, so no cell of it commits later). Returns how many
   * receipts were appended.
   */
  async appendJob(jobId: string, signer: HeadSigner | null, markJob = false): Promise<number> {
    let appended = 0;
    for (;;) {
      const n = await this.ds.transaction(async (tx) => {
        await queryRows(tx, 'SELECT pg_advisory_xact_lock($1::bigint)', [TRANSPARENCY_LOCK_KEY]);
        const rows = await queryRows<ReceiptRow>(
          tx,
          `${RECEIPT_SELECT}
            WHERE e.job_id = $1 AND e.state IN (${CELL_SQL.succeeded}, ${CELL_SQL.failed})
              AND NOT EXISTS (SELECT 1 FROM transparency_leaves l WHERE l.execution_id = e.id)
            ORDER BY e.id LIMIT $2`,
          [jobId, TRANSPARENCY_BATCH],
        );
        const done = rows.length < TRANSPARENCY_BATCH;
        if (done && markJob) {
          await queryRows(tx, 'INSERT INTO transparency_logged_jobs (job_id) VALUES ($1) ON CONFLICT DO NOTHING', [jobId]);
        }
        await this.appendLocked(
          tx,
          rows.map((r) => ({ executionId: r.id, jobId, receipt: receiptBytes(receiptOf(r)) })),
          signer,
        );
        return { count: rows.length, done };
      });
      appended += n.count;
      if (n.done) return appended;
    }
  }

  /** Finished jobs whose receipts are not all logged yet, oldest first (the daemon's checkpoint step). */
  async unloggedFinishedJobs(limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `SELECT j.id FROM jobs j
        WHERE j.status IN ${TERMINAL_JOB_STATUSES_SQL}
          AND NOT EXISTS (SELECT 1 FROM transparency_logged_jobs t WHERE t.job_id = j.id)
        ORDER BY j.seq LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Appends receipts (already canonical bytes) as the next leaves; the caller holds the lock in `tx`. Signs a head
   * for the new size, or for the current one when it has none yet (a signer configured after leaves were logged).
   */
  async appendLocked(
    tx: EntityManager,
    items: readonly { executionId: string; jobId: string; receipt: Buffer }[],
    signer: HeadSigner | null,
  ): Promise<number> {
    const size = await this.sizeOn(tx);
    const frontier = await this.readNodes(tx, perfectPieces(0, size));
    // The right edge of the tree as a stack of perfect subtrees, largest first; each leaf merges equal neighbours.
    const stack = perfectPieces(0, size).map((p) => ({ ...p, hash: frontier.get(key(p))! }));
    const nodes: { level: number; index: number; hash: Buffer }[] = [];
    const leaves = items.map((it, i) => ({ ...it, leafIndex: size + i, leafHash: leafHash(it.receipt) }));
    for (const leaf of leaves) {
      const entry = { level: 0, index: leaf.leafIndex, hash: leaf.leafHash };
      nodes.push(entry);
      stack.push(entry);
      while (stack.length >= 2 && stack[stack.length - 1]!.level === stack[stack.length - 2]!.level) {
        const right = stack.pop()!;
        const left = stack.pop()!;
        const parent = { level: left.level + 1, index: left.index / 2, hash: nodeHash(left.hash, right.hash) };
        nodes.push(parent);
        stack.push(parent);
      }
    }
    if (leaves.length > 0) {
      await queryRows(
        tx,
        `INSERT INTO transparency_leaves (leaf_index, execution_id, job_id, receipt, leaf_hash)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[], $5::bytea[])`,
        [
          leaves.map((l) => l.leafIndex),
          leaves.map((l) => l.executionId),
          leaves.map((l) => l.jobId),
          leaves.map((l) => l.receipt),
          leaves.map((l) => l.leafHash),
        ],
      );
      await queryRows(
        tx,
        `INSERT INTO transparency_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
        [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
      );
    }
    const newSize = size + leaves.length;
    if (signer && newSize > 0) {
      const root = foldPieces(stack.map((s) => s.hash));
      const note = signer.sign(checkpointBody({ origin: signer.origin, size: newSize, root }));
      // One head per size: under the lock nobody else signs this size, and a size already signed keeps its head.
      await queryRows(
        tx,
        `INSERT INTO transparency_heads (tree_size, root_hash, origin, key_id, note) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tree_size) DO NOTHING`,
        [newSize, root, signer.origin, signer.keyId, note],
      );
    }
    return leaves.length;
  }

  /** Signs a head for the current size if it has none (after a key was configured, or rotated). */
  async signCurrent(signer: HeadSigner): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await queryRows(tx, 'SELECT pg_advisory_xact_lock($1::bigint)', [TRANSPARENCY_LOCK_KEY]);
      await this.appendLocked(tx, [], signer);
    });
  }

  async size(): Promise<number> {
    return this.sizeOn(this.ds);
  }

  private async sizeOn(on: DataSource | EntityManager): Promise<number> {
    const [row] = await queryRows<{ size: string }>(on, 'SELECT coalesce(max(leaf_index) + 1, 0)::text AS size FROM transparency_leaves');
    return Number(row!.size);
  }

  /** The latest signed head, or the one of `size`. */
  async head(size?: number): Promise<TreeHead | null> {
    const rows = await queryRows<HeadRow>(
      this.ds,
      size === undefined
        ? 'SELECT * FROM transparency_heads ORDER BY tree_size DESC LIMIT 1'
        : 'SELECT * FROM transparency_heads WHERE tree_size = $1',
      size === undefined ? [] : [size],
    );
    const r = rows[0];
    return r
      ? { treeSize: Number(r.tree_size), rootHash: r.root_hash, origin: r.origin, keyId: r.key_id, note: r.note, signedAt: r.signed_at }
      : null;
  }

  /** Every signed head, oldest first (for the reconciler and witnesses). */
  async heads(): Promise<TreeHead[]> {
    const rows = await queryRows<HeadRow>(this.ds, 'SELECT * FROM transparency_heads ORDER BY tree_size');
    return rows.map((r) => ({
      treeSize: Number(r.tree_size),
      rootHash: r.root_hash,
      origin: r.origin,
      keyId: r.key_id,
      note: r.note,
      signedAt: r.signed_at,
    }));
  }

  /** A leaf by index, or by its leaf hash. */
  async leaf(by: { index: number } | { hash: Buffer }): Promise<LogLeaf | null> {
    const rows = await queryRows<LeafRow>(
      this.ds,
      'index' in by
        ? 'SELECT * FROM transparency_leaves WHERE leaf_index = $1'
        : 'SELECT * FROM transparency_leaves WHERE leaf_hash = $1 ORDER BY leaf_index LIMIT 1',
      ['index' in by ? by.index : by.hash],
    );
    return rows[0] ? leafOf(rows[0]) : null;
  }

  /** A job's logged leaves, in log order. */
  async jobLeaves(jobId: string): Promise<LogLeaf[]> {
    const rows = await queryRows<LeafRow>(this.ds, 'SELECT * FROM transparency_leaves WHERE job_id = $1 ORDER BY leaf_index', [jobId]);
    return rows.map(leafOf);
  }

  /** The inclusion proof of leaf `index` in the tree of `size` leaves, from the stored subtrees. */
  async inclusionProof(index: number, size: number): Promise<Buffer[]> {
    return this.prove((h) => inclusionProof(index, size, h));
  }

  /** Inclusion proofs of several leaves in one tree, in one read. */
  async inclusionProofs(indices: readonly number[], size: number): Promise<Buffer[][]> {
    return this.prove((h) => indices.map((i) => inclusionProof(i, size, h)));
  }

  /** The consistency proof from the tree of `from` leaves to that of `to` leaves. */
  async consistencyProof(from: number, to: number): Promise<Buffer[]> {
    return this.prove((h) => consistencyProof(from, to, h));
  }

  /**
   * Runs a proof twice: once to learn which perfect subtrees it needs (every range it asks for is perfect or a right
   * edge made of at most log2(n) of them), then, after reading them in one statement, for real.
   */
  private async prove<T>(run: (h: SubtreeHashes) => T): Promise<T> {
    const wanted = new Map<string, PerfectNode>();
    const zero = Buffer.alloc(32);
    run((start, end) => {
      for (const p of perfectPieces(start, end)) wanted.set(key(p), p);
      return zero;
    });
    const found = await this.readNodes(this.ds, [...wanted.values()]);
    const missing = [...wanted.keys()].find((k) => !found.has(k));
    if (missing) throw new Error(`transparency node ${missing} is missing: the log's stored tree is incomplete`);
    return run((start, end) => foldPieces(perfectPieces(start, end).map((p) => found.get(key(p))!)));
  }

  private async readNodes(on: DataSource | EntityManager, wanted: readonly PerfectNode[]): Promise<Map<string, Buffer>> {
    if (wanted.length === 0) return new Map();
    const rows = await queryRows<NodeRow>(
      on,
      `SELECT n.level, n.idx::text AS idx, n.hash FROM transparency_nodes n
         JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
      [wanted.map((w) => w.level), wanted.map((w) => w.index)],
    );
    return new Map(rows.map((r) => [`${r.level}:${r.idx}`, r.hash]));
  }

  /** Records how a job's spec was signed, in the submission's transaction. */
  static async recordSpecSignature(tx: EntityManager, jobId: string, s: StoredSpecSignature): Promise<void> {
    await queryRows(
      tx,
      `INSERT INTO job_spec_signatures (job_id, form, key_id, signed_ts, nonce, signature, public_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id) DO NOTHING`,
      [jobId, s.form, s.keyId, s.timestamp, s.nonce, s.signature, s.publicKey],
    );
  }

  async specSignature(jobId: string): Promise<StoredSpecSignature | null> {
    const rows = await queryRows<{
      form: string;
      key_id: string;
      signed_ts: string;
      nonce: string;
      signature: string | null;
      public_key: string | null;
    }>(this.ds, 'SELECT form, key_id, signed_ts, nonce, signature, public_key FROM job_spec_signatures WHERE job_id = $1', [jobId]);
    const r = rows[0];
    return r
      ? { form: r.form, keyId: r.key_id, timestamp: r.signed_ts, nonce: r.nonce, signature: r.signature, publicKey: r.public_key }
      : null;
  }
}

function leafOf(r: LeafRow): LogLeaf {
  return { leafIndex: Number(r.leaf_index), executionId: r.execution_id, jobId: r.job_id, receipt: r.receipt, leafHash: r.leaf_hash };
}
