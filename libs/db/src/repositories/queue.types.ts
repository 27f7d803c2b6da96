import type { AttemptOutcome, ExecutionState } from '@beacon/domain';

/** A cell this runner holds a lease on. */
export interface ClaimedCell {
  id: string;
  jobId: string;
  questionId: string;
  modelId: string;
  region: string;
  /** The cell's variant (`''`: the default), which picks its question's language and its region's prompt. */
  variant: string;
  replicate: number;
  /** Claim epoch: the attempt number of this claim (1-based). */
  attempt: number;
  /** Failed attempts so far (released and deferred claims do not count). */
  failures: number;
  maxAttempts: number;
  leaseToken: string;
  traceId: string;
  /** Earlier calls of this cell lost with their runner's lease (not failures: they do not count against maxAttempts). */
  leaseLosses: number;
}

/** What the claim may take. */
export interface ClaimRequest {
  runnerId: string;
  region: string;
  modelId: string;
  limit: number;
  leaseMs: number;
  /** True when the retry budget of this (region, model) is spent: only first attempts are claimed. */
  firstAttemptsOnly: boolean;
  /**
   * USD per million input and output tokens of this (region, model), from the configuration's price table; null when
   * it has none. What a claim reserves of a capped job's `max_cost` per call (a capped job's cells are not claimed
   * without a price).
   */
  price?: { inputPerMillion: number; outputPerMillion: number } | null;
  /**
   * The claimer's belief that this (region, model) has a concurrency override (`key_controls.concurrency`): such a
   * key is claimed only under the lock of its control row, within the override across all daemons. A key with an
   * override is never claimed without it (a daemon that has not yet heard of a new override claims nothing of the key
   * until it has), so a stale belief can only delay claims, never exceed the bound.
   */
  overridden?: boolean;
}

/** A capped job a claim found unable to afford one more call: it stops (see `QueueRepository.claim`). */
export interface BudgetStop {
  jobId: string;
  /** Cells cancelled with the reason `budget_exhausted`, by region and model. */
  closedByKey: { region: string; modelId: string; count: number }[];
}

/** The audit row written before a provider call. */
export interface AttemptStart {
  cell: ClaimedCell;
  runnerId: string;
  systemPrompt: string;
  userPrompt: string;
  parameters: Record<string, unknown>;
  promptHash: string;
  parametersHash: string;
  endpoint: string;
  spanId: string | null;
}

/** Facts about a finished provider call, stored on its attempt row. */
export interface CallRecord {
  httpStatus: number | null;
  latencyMs: number;
  response: string | null;
  finishReason: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  usage: Record<string, unknown> | null;
  upstreamRequestId: string | null;
  error: Record<string, unknown> | null;
  /**
   * What the call cost in USD (its tokens at the configuration's price of its model in its region), stored on the
   * attempt as `cost_usd`; null or absent when unknown (no price, or no token counts), never 0 for unknown.
   */
  costUsd?: number | null;
  /** Who served the call and where (issue 17); absent for a call that never reached a provider. */
  served?: ServedBy | null;
}

/** Who served a call and where, as stored on its attempt (`provider_kind`, `served_region`, `region_observed…`). */
export interface ServedBy {
  providerKind: string;
  /** The Beacon region whose provider made the call (the cell's own unless a fallback served it). */
  region: string;
  /** What the provider reported about where the call ran, or null when it reports nothing. */
  regionObserved: string | null;
  /** The values the configuration accepted for the region (empty: not judged). */
  regionObservedAllowed: readonly string[];
  /** The provider's own safety signal when it blocked or cut the answer, or null. */
  safety?: string | null;
  /** The model the provider said answered (`model` of its response), or null when it says nothing. */
  responseModel?: string | null;
}

/** A successful call's result for the cell. */
export interface CellResult {
  classification: string;
  classificationRule: string;
  /** Classifier version; when given, the label is also stored as a `classifications` row of that version. */
  classificationVersion?: string;
  /** 0..1. */
  classificationConfidence?: number;
  /** provider, empty, rules or judge. */
  classificationTier?: string;
}

/** What happens to the cell after a failed call. */
export type FailureDisposition =
  | { kind: 'retry'; delayMs: number; outcome: Extract<AttemptOutcome, 'retryable_error'> }
  | { kind: 'fail'; outcome: Extract<AttemptOutcome, 'retryable_error' | 'final_error'> };

/** Why a claim is handed back without counting as a failure (recorded as the attempt's outcome). */
export type ReleaseReason = Extract<AttemptOutcome, 'released' | 'deferred' | 'cancelled'>;

/** Answer of a lease renewal. */
export interface HeartbeatResult {
  /** Cells whose lease this runner still holds. */
  held: Set<string>;
  /** Held cells whose job was cancelled: their calls should stop. */
  cancelled: Set<string>;
}

/** A cell the reaper returned to the queue (or failed): its lease had expired. */
export interface ReapedCell {
  id: string;
  jobId: string;
  questionId: string;
  /** The attempt whose lease expired. */
  attempt: number;
  region: string;
  modelId: string;
  /** State after the reap: pending, or failed when the cell's calls were lost with a lease too many times. */
  state: Extract<ExecutionState, 'pending' | 'failed'>;
  /** Whether the call had started (so the attempt counts as a lease loss). */
  called: boolean;
}
