import type { ClaimedCell, ReapedCell } from '@beacon/db';
import type { AttemptOutcome, ExecutionState } from '@beacon/domain';

/** Every failure kind of an attempt event (the `reason` label of beacon_retries_total: its series are created at 0 from this list). */
export const FAILURE_KINDS = [
  'http_429',
  'http_5xx',
  'http_4xx',
  'timeout',
  'network',
  'invalid_response',
  'aborted',
  'response_too_large',
] as const;

/** Why a provider call failed, as a bounded label. */
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** A cell's state after an attempt: `unchanged` when the attempt changed nothing (fenced, or a lost release). */
export type AttemptCellState = Exclude<ExecutionState, 'running'> | 'unchanged';

/** What the engine reports as it works; the daemon turns these into logs, metrics and live events. */
export type EngineEvent =
  | { type: 'claimed'; cells: ClaimedCell[] }
  | {
      type: 'attempt';
      cell: ClaimedCell;
      /** The attempt row this call wrote (null if it was never written). */
      attemptId: string | null;
      outcome: AttemptOutcome;
      state: AttemptCellState;
      latencyMs: number;
      httpStatus: number | null;
      classification: string | null;
      /** The question's category from the job spec (control, bias_detection, …), if any. */
      category: string | null;
      /** Why the call failed, when it did: http_429, http_5xx, http_4xx, timeout, network, invalid_response, aborted. */
      failureKind: string | null;
      error: string | null;
      retryInMs: number | null;
      /** Tokens the provider reported for this call (null when it reported none, or the call failed). */
      inputTokens?: number | null;
      outputTokens?: number | null;
      /** Why the model stopped (`stop`, `length` when cut off by max_tokens, …), for answered calls. */
      finishReason?: string | null;
      /** What the call cost in USD; null when unknown (no price for its model in its region, or no token counts). */
      costUsd?: number | null;
      /** The call reached the provider (not deferred by the breaker): its duration is an operation duration. */
      called?: boolean;
    }
  | { type: 'reaped'; count: number; cells: ReapedCell[] }
  /** The attempt row `attemptId` is written and the provider call begins. */
  | { type: 'call_started'; cell: ClaimedCell; attemptId: string | null }
  | { type: 'breaker'; key: string; state: 'open' | 'half_open' | 'closed' }
  /** A (region, model)'s limit changed: an operator's override (null: none, the region's concurrency) now in force here. */
  | { type: 'key_limit'; key: string; override: number | null; limit: number }
  /**
   * A job's status changed. For a final status, `costUsd` is what its calls cost when every call with an answer had
   * a known cost, else null.
   */
  | { type: 'job_status'; jobId: string; status: string; costUsd?: number | null }
  /** A claim found a capped job unable to afford one more call: it stopped, its pending cells were cancelled. */
  | { type: 'budget_exhausted'; jobId: string; closedByKey: { region: string; modelId: string; count: number }[] }
  | { type: 'lease_lost'; cellIds: string[]; reason: string }
  | { type: 'error'; where: string; message: string };

/** A listener for engine events; it must not throw. */
export type EngineListener = (event: EngineEvent) => void;
