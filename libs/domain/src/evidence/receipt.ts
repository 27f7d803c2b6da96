import { canonicalJson, sha256Hex } from '../json/canonical-json.js';
import { CELL_KEY_COLUMNS } from '../variant/cell-key.js';

/**
 * A receipt: what Beacon recorded for one committed execution, in a form anyone can recompute. Its bytes are the RFC
 * 8785 canonical JSON of the object ({@link receiptBytes}); the log's leaf is SHA-256(0x00 ‖ those bytes). Every part
 * also carries its own hash in `hashes` (SHA-256 of the part's canonical JSON, hex), so a verifier names the part that
 * changed; the prompt hash is the same `prompt_hash` the attempt rows store.
 */
export const RECEIPT_VERSION = 'beacon-receipt/v1';

/**
 * The columns of `executions` that key a cell, in key order, with their JSON names in the receipt: the cell key's own
 * list, so the store selects and the receipt carries exactly the key (the variant included).
 */
export const CELL_KEY_FIELDS = CELL_KEY_COLUMNS;
export type CellKeyField = (typeof CELL_KEY_FIELDS)[number];
export type ReceiptCellKey = Record<CellKeyField, string | number>;

/** One call of the cell, summarised. */
export interface ReceiptAttempt {
  attempt: number;
  outcome: string | null;
  http_status: number | null;
  started_at: string;
  ended_at: string | null;
}

export interface Receipt {
  v: typeof RECEIPT_VERSION;
  execution_id: string;
  cell: ReceiptCellKey;
  /** succeeded or failed. */
  state: string;
  /** Null for an imported execution whose prompts were not exported. */
  prompt: { system: string | null; user: string | null };
  parameters: unknown;
  provider: { kind: string | null; request_id: string | null };
  region: { requested: string; served: string | null; observed: string | null };
  model: { requested: string; reported: string | null };
  response: string | null;
  finish_reason: string | null;
  label: { label: string; rule: string | null; classifier_version: string | null } | null;
  timestamps: { created_at: string; started_at: string | null; finished_at: string };
  attempts: ReceiptAttempt[];
  hashes: ReceiptHashes;
}

/** The parts of a receipt that carry their own hash, in the order a verifier reports them. */
export const RECEIPT_PARTS = ['cell', 'prompt', 'parameters', 'response', 'label', 'attempts'] as const;
export type ReceiptPart = (typeof RECEIPT_PARTS)[number];
export type ReceiptHashes = Record<ReceiptPart, string>;

/** A receipt without its hashes: what the store reads. */
export type ReceiptFacts = Omit<Receipt, 'v' | 'hashes'>;

function partValue(r: ReceiptFacts, part: ReceiptPart): unknown {
  return r[part];
}

export function hashPart(value: unknown): string {
  return sha256Hex(canonicalJson(value ?? null));
}

/** Builds the receipt of an execution from what the store read, with the hash of each part. */
export function buildReceipt(facts: ReceiptFacts): Receipt {
  const hashes = Object.fromEntries(RECEIPT_PARTS.map((p) => [p, hashPart(partValue(facts, p))])) as ReceiptHashes;
  return { v: RECEIPT_VERSION, ...facts, hashes };
}

/** The bytes of a receipt, which the log's leaf hashes: its RFC 8785 canonical JSON, UTF-8. */
export function receiptBytes(receipt: Receipt): Buffer {
  return Buffer.from(canonicalJson(receipt), 'utf8');
}

/** The parts of a receipt whose content no longer matches its stated hash. */
export function receiptMismatches(receipt: Receipt): ReceiptPart[] {
  const stated = (receipt.hashes ?? {}) as Partial<ReceiptHashes>;
  return RECEIPT_PARTS.filter((p) => stated[p] !== hashPart(partValue(receipt, p)));
}
