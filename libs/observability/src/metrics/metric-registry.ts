import { Counter, Gauge, Histogram, type OpenMetricsContentType, Registry, collectDefaultMetrics } from 'prom-client';
import { eventLoopDelayGauge } from './event-loop-delay.js';

/** Buckets for LLM calls: tens of milliseconds for cached or tiny answers up to the two-minute timeout. */
export const PROVIDER_LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];
/** Buckets for the daemon's own HTTP API. */
export const HTTP_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** prom-client default gauges whose names end in `_total` (removed; see {@link createMetrics}). */
export const NON_COMPLIANT_DEFAULT_METRICS = [
  'beacon_nodejs_active_handles_total',
  'beacon_nodejs_active_requests_total',
  'beacon_nodejs_active_resources_total',
] as const;
/** Token counts of one call, by powers of 4 (the OpenTelemetry GenAI semantic conventions' advice). */
export const TOKEN_USAGE_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
/** Duration of one GenAI client operation, in seconds (the OpenTelemetry GenAI semantic conventions' advice). */
export const GEN_AI_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/** What one job cost, in USD. */
export const JOB_COST_BUCKETS = [0.0001, 0.001, 0.01, 0.1, 1, 10, 100, 1000];
/** How late a schedule's tick fired, in seconds: on time is under a second or two (the daemons look once a second). */
export const SCHEDULE_LAG_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];
/** The `token_type` label of the token usage histogram (`gen_ai.token.type`). */
export const TOKEN_TYPES = ['input', 'output'] as const;
/** The `finish_reason` label: the OpenAI finish reasons; anything else (or none) is `other`. */
export const FINISH_REASONS = ['stop', 'length', 'content_filter', 'tool_calls', 'other'] as const;

/** A provider's finish reason as a bounded label. */
export function finishReasonLabel(reason: string | null | undefined): (typeof FINISH_REASONS)[number] {
  return (FINISH_REASONS as readonly string[]).includes(reason ?? '') ? (reason as (typeof FINISH_REASONS)[number]) : 'other';
}

/**
 * Every metric Beacon exports, named once. Labels are bounded sets (region, model, outcome, state, classification,
 * reason, status, route): never a job or execution id.
 */
export function createMetrics(registry = new Registry<OpenMetricsContentType>()) {
  // OpenMetrics, because prom-client only keeps exemplars there; /metrics still serves the text format on request.
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const r = [registry];
  const metrics = {
    registry,
    executionsFinished: new Counter({
      name: 'beacon_executions_finished_total',
      help: 'Cells that reached a terminal state',
      labelNames: ['region', 'model', 'state'] as const,
      registers: r,
    }),
    attempts: new Counter({
      name: 'beacon_attempts_total',
      help: 'Provider call attempts by outcome; kind is first or retry',
      labelNames: ['region', 'model', 'outcome', 'kind'] as const,
      registers: r,
    }),
    providerLatency: new Histogram({
      name: 'beacon_provider_latency_seconds',
      help: 'Provider call latency (trace-id exemplars)',
      labelNames: ['region', 'model', 'outcome'] as const,
      buckets: PROVIDER_LATENCY_BUCKETS,
      enableExemplars: true,
      registers: r,
    }),
    responses: new Counter({
      name: 'beacon_responses_total',
      help: 'Committed responses by classification label',
      labelNames: ['region', 'model', 'classification', 'category'] as const,
      registers: r,
    }),
    /** OpenTelemetry's `gen_ai.client.token.usage` in Prometheus naming: tokens of each call, by `gen_ai.token.type`. */
    genAiTokenUsage: new Histogram({
      name: 'beacon_gen_ai_client_token_usage_tokens',
      help: 'Tokens per provider call as reported by the provider, by token_type (input, output)',
      labelNames: ['region', 'model', 'token_type'] as const,
      buckets: TOKEN_USAGE_BUCKETS,
      registers: r,
    }),
    /** OpenTelemetry's `gen_ai.client.operation.duration`: every call that reached the provider; error_type none on success. */
    genAiOperationDuration: new Histogram({
      name: 'beacon_gen_ai_client_operation_duration_seconds',
      help: 'Duration of provider calls (chat completions); error_type is none for an answer, else why the call failed',
      labelNames: ['region', 'model', 'error_type'] as const,
      buckets: GEN_AI_DURATION_BUCKETS,
      registers: r,
    }),
    cost: new Counter({
      name: 'beacon_cost_usd_total',
      help: 'What provider calls cost in US dollars: their tokens at the configured price of the model in the region',
      labelNames: ['region', 'model'] as const,
      registers: r,
    }),
    unpricedCalls: new Counter({
      name: 'beacon_unpriced_calls_total',
      help: 'Provider calls with an answer whose cost is unknown (no price for the model in the region, or no token counts)',
      labelNames: ['region', 'model'] as const,
      registers: r,
    }),
    finishReasons: new Counter({
      name: 'beacon_responses_finish_reason_total',
      help: 'Committed responses by finish reason; length means the answer was cut off by max_tokens',
      labelNames: ['region', 'model', 'finish_reason'] as const,
      registers: r,
    }),
    jobCost: new Histogram({
      name: 'beacon_job_cost_usd',
      help: 'What a finished job cost in US dollars, observed once when it ends, if every call with an answer had a known cost',
      labelNames: ['status'] as const,
      buckets: JOB_COST_BUCKETS,
      registers: r,
    }),
    queueDepth: new Gauge({ name: 'beacon_queue_depth', help: 'Runnable pending cells', labelNames: ['region'] as const, registers: r }),
    queueOldestAge: new Gauge({
      name: 'beacon_queue_oldest_runnable_age_seconds',
      help: 'Age of the oldest runnable pending cell',
      labelNames: ['region'] as const,
      registers: r,
    }),
    inflight: new Gauge({
      name: 'beacon_inflight_calls',
      help: 'Provider calls in flight in this runner',
      labelNames: ['region', 'model'] as const,
      registers: r,
    }),
    retries: new Counter({
      name: 'beacon_retries_total',
      help: 'Retries scheduled, by reason',
      labelNames: ['region', 'model', 'reason'] as const,
      registers: r,
    }),
    breakerState: new Gauge({
      name: 'beacon_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['region', 'model'] as const,
      registers: r,
    }),
    leaseExpirations: new Counter({
      name: 'beacon_lease_expirations_total',
      help: 'Leases that expired and were returned to the queue by the reaper',
      labelNames: ['region', 'model'] as const,
      registers: r,
    }),
    duplicateCalls: new Counter({
      name: 'beacon_duplicate_calls_total',
      help: 'Provider calls whose result was fenced off (another claim owns the cell)',
      labelNames: ['region', 'model'] as const,
      registers: r,
    }),
    jobs: new Gauge({ name: 'beacon_jobs', help: 'Jobs by status', labelNames: ['status'] as const, registers: r }),
    httpRequests: new Counter({
      name: 'beacon_http_requests_total',
      help: 'API requests',
      labelNames: ['method', 'route', 'status'] as const,
      registers: r,
    }),
    // `status` as on the request counter, so that latency can be read for successful requests apart from rejected or
    // failed ones (a 401 or 404 answers in microseconds, a 503 may be a timeout).
    httpDuration: new Histogram({
      name: 'beacon_http_request_duration_seconds',
      help: 'API request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_LATENCY_BUCKETS,
      registers: r,
    }),
    reconcilerFindings: new Gauge({
      name: 'beacon_reconciler_findings',
      help: 'Open reconciler findings by rule and severity',
      labelNames: ['rule', 'severity'] as const,
      registers: r,
    }),
    reconcilerDuration: new Gauge({
      name: 'beacon_reconciler_run_duration_seconds',
      help: 'Duration of the last reconciler run',
      registers: r,
    }),
    reconcilerRuns: new Counter({
      name: 'beacon_reconciler_runs_total',
      help: 'Scheduled reconciler ticks by result: ok, failed (a rule or the run failed), skipped (another daemon held the lock)',
      labelNames: ['result'] as const,
      registers: r,
    }),
    reconcilerFindingsOpened: new Counter({
      name: 'beacon_reconciler_findings_opened_total',
      help: 'Findings a scheduled reconciler run saw for the first time, by rule and severity',
      labelNames: ['rule', 'severity'] as const,
      registers: r,
    }),
    scheduleFirings: new Counter({
      name: 'beacon_schedule_firings_total',
      help: 'Schedule ticks handled by this daemon, by outcome: fired, queued, skipped_overlap, missed (each missed tick counted)',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    scheduleLag: new Histogram({
      name: 'beacon_schedule_lag_seconds',
      help: 'How late a schedule tick was fired (or queued): the database clock at firing minus the tick',
      buckets: SCHEDULE_LAG_BUCKETS,
      registers: r,
    }),
    /** Event-loop delay by percentile since the previous scrape: a stalled loop delays every request and every provider call. */
    eventLoopDelay: eventLoopDelayGauge(r).gauge,
  };
  collectDefaultMetrics({ register: registry, prefix: 'beacon_' });
  // prom-client names three gauges `…_total`, which `promtool check metrics` rejects (a `_total` suffix means a counter,
  // and Prometheus tooling treats it as one). Each is the sum of its per-type sibling that stays:
  // `sum(beacon_nodejs_active_handles)` is what `beacon_nodejs_active_handles_total` reported.
  for (const name of NON_COMPLIANT_DEFAULT_METRICS) registry.removeSingleMetric(name);
  return metrics;
}

/**
 * The registry's exposition for a scraper: OpenMetrics (with exemplars) when the Accept header asks for it, else the
 * Prometheus text format 0.0.4 (exemplars and the EOF marker removed).
 */
export async function exposition(
  registry: Registry<OpenMetricsContentType>,
  accept: string | undefined,
): Promise<{ contentType: string; body: string }> {
  const body = await registry.metrics();
  if (accept?.includes('application/openmetrics-text')) return { contentType: registry.contentType, body };
  // OpenMetrics names a counter family without `_total`; the text format names it like its samples.
  const counters = new Set([...body.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]!).filter((n) => !n.endsWith('_total')));
  const text = body
    .split('\n')
    .filter((line) => line !== '# EOF')
    .map((line) => {
      if (!line.startsWith('#')) return line.replace(/ # \{.*$/, '');
      const m = line.match(/^# (HELP|TYPE) (\S+)(.*)$/);
      return m && counters.has(m[2]!) ? `# ${m[1]} ${m[2]}_total${m[3]}` : line;
    })
    .join('\n');
  return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: text };
}

/** The metric set of one daemon. */
export type BeaconMetrics = ReturnType<typeof createMetrics>;
