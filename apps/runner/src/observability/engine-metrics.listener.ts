import { FINISH_REASONS, finishReasonLabel, TOKEN_TYPES, type BeaconMetrics } from '@beacon/observability';
import { FAILURE_KINDS, type EngineEvent } from '@beacon/engine';
import { RESPONSE_LABELS } from '@beacon/classifier';
import {
  ATTEMPT_OUTCOMES,
  isTerminalExecutionState,
  isTerminalJobStatus,
  TERMINAL_EXECUTION_STATES,
  TERMINAL_JOB_STATUSES,
  type BeaconConfig,
} from '@beacon/domain';

/** The `error_type` label of the operation duration: `none` for an answer, a failure kind, or `other`. */
export const ERROR_TYPES = ['none', ...FAILURE_KINDS, 'other'] as const;

/** The `category` label of a response whose question has none. */
export const NO_CATEGORY = 'none';

/** Turns engine events into counters and histograms; gauges are refreshed at scrape time by MetricsCollector. */
export function engineMetricsListener(m: BeaconMetrics, primedCategories: ReadonlySet<string> = new Set()): (e: EngineEvent) => void {
  // Categories whose response series exist (at 0 or more) per `region\0model`: a category outside the configured
  // question bank (an inline question of a job spec) is only known from its first response; its other labels are created
  // at 0 then, so that only that first response of the pair and category is missed by increase().
  const seen = new Map<string, Set<string>>();
  return (e) => {
    switch (e.type) {
      case 'attempt': {
        const region = e.cell.region;
        const model = e.cell.modelId;
        const category = e.category ?? NO_CATEGORY;
        if (e.state === 'succeeded' && e.classification && !primedCategories.has(category)) {
          const key = `${region}\0${model}`;
          const cats = seen.get(key) ?? new Set<string>();
          seen.set(key, cats);
          if (!cats.has(category)) {
            cats.add(category);
            for (const classification of RESPONSE_LABELS) m.responses.inc({ region, model, classification, category }, 0);
          }
        }
        m.attempts.inc({ region, model, outcome: e.outcome, kind: e.cell.failures > 0 || e.cell.leaseLosses > 0 ? 'retry' : 'first' });
        if (e.outcome !== 'deferred') {
          // prom-client types exemplar labels as the metric's own label names; the exemplar carries the trace id.
          const exemplarLabels = { trace_id: e.cell.traceId } as unknown as Record<'region', string>;
          m.providerLatency.observe({ labels: { region, model, outcome: e.outcome }, value: e.latencyMs / 1000, exemplarLabels });
        }
        if (isTerminalExecutionState(e.state)) m.executionsFinished.inc({ region, model, state: e.state });
        if (e.state === 'succeeded' && e.classification) {
          m.responses.inc({ region, model, classification: e.classification, category });
        }
        if (e.state === 'pending' && e.outcome === 'retryable_error') m.retries.inc({ region, model, reason: e.failureKind ?? 'unknown' });
        if (e.outcome === 'fenced') m.duplicateCalls.inc({ region, model });
        recordTokensAndCost(m, e, region, model);
        break;
      }
      case 'budget_exhausted':
        for (const c of e.closedByKey) m.executionsFinished.inc({ region: c.region, model: c.modelId, state: 'cancelled' }, c.count);
        break;
      case 'job_status':
        if (isTerminalJobStatus(e.status) && e.costUsd !== null && e.costUsd !== undefined) {
          m.jobCost.observe({ status: e.status }, e.costUsd);
        }
        break;
      case 'reaped':
        for (const c of e.cells) {
          m.leaseExpirations.inc({ region: c.region, model: c.modelId });
          if (c.state === 'failed') m.executionsFinished.inc({ region: c.region, model: c.modelId, state: 'failed' });
        }
        break;
      default:
        break;
    }
  };
}

/** The GenAI client metrics, the cost counter and the finish reasons of one attempt (issue 15, item 4). */
function recordTokensAndCost(m: BeaconMetrics, e: Extract<EngineEvent, { type: 'attempt' }>, region: string, model: string): void {
  if (e.called !== false && e.outcome !== 'deferred') {
    const errorType = e.outcome === 'succeeded' || (e.outcome === 'fenced' && !e.failureKind) ? 'none' : errorTypeOf(e.failureKind);
    m.genAiOperationDuration.observe({ region, model, error_type: errorType }, e.latencyMs / 1000);
  }
  if (typeof e.inputTokens === 'number') m.genAiTokenUsage.observe({ region, model, token_type: 'input' }, e.inputTokens);
  if (typeof e.outputTokens === 'number') m.genAiTokenUsage.observe({ region, model, token_type: 'output' }, e.outputTokens);
  const answered = typeof e.inputTokens === 'number' || typeof e.outputTokens === 'number' || e.outcome === 'succeeded';
  if (typeof e.costUsd === 'number') m.cost.inc({ region, model }, e.costUsd);
  else if (answered) m.unpricedCalls.inc({ region, model });
  if (e.state === 'succeeded') m.finishReasons.inc({ region, model, finish_reason: finishReasonLabel(e.finishReason) });
}

function errorTypeOf(kind: string | null): (typeof ERROR_TYPES)[number] {
  return (ERROR_TYPES as readonly string[]).includes(kind ?? '') ? (kind as (typeof ERROR_TYPES)[number]) : 'other';
}

/**
 * The question categories known at start: those of the configured question bank, and {@link NO_CATEGORY} for
 * questions without one. Inline questions of a job spec may name others (see {@link engineMetricsListener}).
 */
export function configuredCategories(config: Pick<BeaconConfig, 'questions'>): Set<string> {
  return new Set([NO_CATEGORY, ...Object.values(config.questions).map((q) => q.category ?? NO_CATEGORY)]);
}

/**
 * Creates every series the engine events feed at 0 for every configured (region, model), from the vocabularies known
 * at start: terminal states, attempt outcomes × kinds, response labels × `categories`, retry reasons, and the latency
 * histogram of every outcome a call can end with. prom-client exports a labelled series only once it exists, and
 * Prometheus' rate() and increase() cannot see a series' first value: a series born at 1 loses that first increment
 * (issue 15.1: a refusal share of 100 % for 25 %, NaN cells, 0 retries of 6). Series born at 0 lose nothing.
 */
export function primeMetrics(
  m: BeaconMetrics,
  keys: { region: string; model: string }[],
  categories: Iterable<string> = [NO_CATEGORY],
): void {
  const cats = [...new Set(categories)];
  for (const { region, model } of keys) {
    for (const state of TERMINAL_EXECUTION_STATES) m.executionsFinished.inc({ region, model, state }, 0);
    for (const outcome of ATTEMPT_OUTCOMES) {
      for (const kind of ['first', 'retry']) m.attempts.inc({ region, model, outcome, kind }, 0);
      // A deferred attempt makes no call and observes no latency.
      if (outcome !== 'deferred') m.providerLatency.zero({ region, model, outcome });
    }
    for (const classification of RESPONSE_LABELS) {
      for (const category of cats) m.responses.inc({ region, model, classification, category }, 0);
    }
    for (const reason of FAILURE_KINDS) m.retries.inc({ region, model, reason }, 0);
    m.duplicateCalls.inc({ region, model }, 0);
    m.leaseExpirations.inc({ region, model }, 0);
    for (const token_type of TOKEN_TYPES) m.genAiTokenUsage.zero({ region, model, token_type });
    for (const error_type of ERROR_TYPES) m.genAiOperationDuration.zero({ region, model, error_type });
    m.cost.inc({ region, model }, 0);
    m.unpricedCalls.inc({ region, model }, 0);
    for (const finish_reason of FINISH_REASONS) m.finishReasons.inc({ region, model, finish_reason }, 0);
  }
  for (const status of TERMINAL_JOB_STATUSES) m.jobCost.zero({ status });
}
