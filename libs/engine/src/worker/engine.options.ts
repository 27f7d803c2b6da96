import { registerConfiguredSecrets, type BeaconConfig } from '@beacon/domain';
import { AttemptTracing, type AttemptTracer } from '@beacon/observability';

/** How a runner's engine behaves; every duration in milliseconds. */
export interface EngineOptions {
  runnerId: string;
  config: BeaconConfig;
  /** Regions this runner serves (null: every configured region). */
  regions: string[] | null;
  /** Lease length; renewed every `heartbeatMs`. */
  leaseMs: number;
  heartbeatMs: number;
  /** How often the reaper looks for expired leases (jittered ±20 %). */
  reapIntervalMs: number;
  /** Poll for new work. */
  pollMs: number;
  /**
   * A (region, model) that found nothing to do is polled less and less often, up to this interval; a submitted job
   * (announced by NOTIFY) or a requeue wakes it at once. Bounds how late a retry falls due when nothing else is running.
   */
  idlePollMaxMs: number;
  /**
   * How often the operators' concurrency overrides are re-read (jittered ±20 %), beside the NOTIFY that announces each
   * change at once: bounds how late a daemon that missed the notification resizes its slots.
   */
  controlsPollMs: number;
  /** How often job statuses are rolled up from their cells. */
  rollupMs: number;
  /** Calls in flight across all regions. */
  maxConcurrency: number;
  /** On shutdown, how long in-flight calls may finish before they are aborted and released. */
  shutdownGraceMs: number;
  /** Consecutive health failures that open a (region, model) breaker, and how long it stays open. */
  breakerFailures: number;
  breakerHalfOpenMs: number;
  /** Retry budget per (region, model): retries ≤ ratio × first attempts in the window, plus a floor. */
  retryBudgetRatio: number;
  retryBudgetWindowMs: number;
  retryBudgetMinPerSecond: number;
  /** Environment holding provider API keys. */
  env: NodeJS.ProcessEnv;
  random: () => number;
  /** Attempt spans (default: OpenTelemetry API; a no-op until an SDK is registered). */
  tracer: AttemptTracer;
}

/** Defaults for everything but identity and configuration. */
export function engineOptions(base: Pick<EngineOptions, 'runnerId' | 'config'> & Partial<EngineOptions>): EngineOptions {
  const leaseMs = base.leaseMs ?? 30_000;
  // The keys this engine will send are known to every sink before the first call can echo one.
  registerConfiguredSecrets(base.config, base.env ?? process.env);
  return {
    regions: null,
    leaseMs,
    heartbeatMs: Math.max(50, Math.floor(leaseMs / 3)),
    reapIntervalMs: Math.max(200, Math.floor(leaseMs / 3)),
    pollMs: 250,
    idlePollMaxMs: 2_000,
    rollupMs: 500,
    controlsPollMs: 5_000,
    maxConcurrency: 512,
    shutdownGraceMs: 10_000,
    breakerFailures: 5,
    breakerHalfOpenMs: 10_000,
    retryBudgetRatio: 0.2,
    retryBudgetWindowMs: 60_000,
    retryBudgetMinPerSecond: 1,
    env: process.env,
    random: Math.random,
    tracer: new AttemptTracing({ captureContent: (base.env ?? process.env).BEACON_TRACE_CONTENT === 'true' }),
    ...stripUndefined(base),
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
