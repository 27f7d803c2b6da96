import type { FindingSeverity } from './notify-config.js';
import type { DeliveryOutcome, OutboxState } from './delivery-policy.js';

/** One outbox row as the API answers it (`GET /api/v1/notifications/outbox`). */
export interface NotificationOutboxView {
  id: string;
  findingId: string;
  sinkId: string;
  ruleId: string;
  severity: FindingSeverity;
  state: OutboxState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  deadAt: string | null;
}

/** One HTTP attempt of the delivery log (`GET /api/v1/notifications/deliveries`); the sink's host, never its URL. */
export interface NotificationDeliveryView {
  id: string;
  outboxId: string;
  sinkId: string;
  host: string;
  attempt: number;
  runnerId: string;
  startedAt: string;
  durationMs: number | null;
  httpStatus: number | null;
  /** Null while the POST is under way. */
  outcome: DeliveryOutcome | null;
  error: string | null;
}

/** Outbox rows per sink and state (`GET /api/v1/notifications`), every state present (0 when none). */
export interface NotificationSinkSummaryView {
  sinkId: string;
  states: Record<OutboxState, number>;
  /** Age of the oldest row not yet delivered or dead (pending or delivering), in seconds; null when there is none. */
  oldestPendingSeconds: number | null;
}

/** `GET /api/v1/notifications`: the configured sinks (ids, kinds, hosts) and the outbox by sink. */
export interface NotificationSummaryView {
  sinks: { id: string; kind: string; host: string | null }[];
  outbox: NotificationSinkSummaryView[];
}

/** `POST /api/v1/notifications/outbox/:id/retry`: a dead delivery put back to pending. */
export interface NotificationRetryView {
  id: string;
  sinkId: string;
  state: OutboxState;
  maxAttempts: number;
}
