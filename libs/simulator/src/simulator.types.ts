/** One window during which the simulator answers 503 for the matching region and/or model. */
export interface OutageWindow {
  /** Region id the outage applies to; every region when left out. */
  region?: string;
  /** Model id (or alias) the outage applies to; every model when left out. */
  model?: string;
  /** Start of the window, in milliseconds since the simulator started (inclusive). */
  startMs: number;
  /** End of the window, in milliseconds since the simulator started (exclusive). */
  endMs: number;
}

/**
 * A behaviour override: matching answers become a refusal. Each field left out matches everything; `rate` (default 1)
 * is the chance per call, drawn from the seed and the call's position among the calls of the same (model, region,
 * question), so label noise at a stated rate is reproducible.
 */
export interface RefusalOverride {
  /** Model id (or alias). */
  model?: string;
  region?: string;
  /** A keyword of the question text, matched case-insensitively. */
  topic?: string;
  /** From 0 to 1 (default 1). */
  rate?: number;
}

/** The fault knobs of the simulator; every rate is a fraction from 0 to 1 of chat-completion requests. */
export interface FaultSettings {
  /** Fraction answered with a server error: 500, or 502/503/529 chosen by the seeded generator. */
  errorRate: number;
  /** Fraction answered 429 with a `Retry-After` header. */
  rateLimitRate: number;
  /** Value of `Retry-After` on a 429, in seconds (the header carries it rounded up; `retry-after-ms` carries it exactly). */
  retryAfterSeconds: number;
  /** Fraction that never answer: the socket stays open until the client aborts or the simulator closes. */
  hangRate: number;
  /** Fraction answered 400 (a final, non-retryable error). */
  badRequestRate: number;
  /** Windows answered 503 while the time since start is in `[startMs, endMs)`. */
  outages: OutageWindow[];
  /** Fixed latency range of a successful answer; null = the model's plausible latency; `{min:0,max:0}` = instant. */
  latencyMs: { min: number; max: number } | null;
  /** Answers turned into refusals (behaviour that changes between runs: set it before run N). */
  refusals: RefusalOverride[];
}

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** Port to listen on (default 8788, the port of the built-in regions; 0 = any free port). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Seed of the fault generator and of the answer model's wording and latency (default 1). */
  seed?: number;
  /** Initial fault knobs; the rest keep their defaults (no faults, model latency). */
  faults?: Partial<FaultSettings>;
  /** Region ids served under `/<region>/v1` (default: the built-in us-east, eu-west, asia-pacific). */
  regions?: string[];
  /** When set, every `/<region>/v1` request must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string | null;
  /** Multiplier of the model-specific latency used when `faults.latencyMs` is null (default 1). */
  latencyScale?: number;
}

/** Calls of one cell: one (region, model, system prompt, user text) combination. */
export interface SimulatorCellStats {
  region: string;
  /** Canonical model id (aliases are counted under it). */
  model: string;
  /** sha256 hex of the system prompt ('' when the request had none). */
  systemHash: string;
  /** The last user message of the request. */
  user: string;
  /** Chat-completion requests that reached the fault stage, whatever their outcome. */
  calls: number;
  /** Of those, the ones answered 200 with a completion. */
  answered: number;
}

/** Counters of a running simulator, as served by `GET /_sim/stats`. */
export interface SimulatorStats {
  /** Requests to `/<region>/v1/...` endpoints (control endpoints are not counted). */
  requests: number;
  /** Those requests by HTTP status; requests that hung without an answer count under `hang`. */
  byStatus: Record<string, number>;
  cells: SimulatorCellStats[];
  /** Sum over cells of (calls − 1): calls beyond the first of each cell. */
  extraCalls: number;
  /** Chat-completion requests being handled now (hanging ones included). */
  inFlight: number;
  /** Highest `inFlight` since start or the last reset. */
  maxInFlight: number;
}

/** A simulator listening on HTTP. */
export interface RunningSimulator {
  /** `http://HOST:PORT` (a wildcard host is reported as 127.0.0.1). */
  url: string;
  /** `${url}/${region}/v1`, the OpenAI base URL of one region. */
  baseUrlFor(region: string): string;
  stats(): SimulatorStats;
  /** Merges knobs into the current fault settings; throws a RangeError on invalid values. */
  setFaults(f: Partial<FaultSettings>): void;
  /** The fault settings in force. */
  faults(): FaultSettings;
  /** Zeroes every counter (maxInFlight restarts from the current inFlight). */
  resetStats(): void;
  /** Stops listening, ends hanging and pending requests and closes every connection. */
  close(): Promise<void>;
}

/** Input of {@link simulateAnswer}. */
export interface AnswerInput {
  /** Region id of the endpoint called (used when the system prompt names no known region). */
  region: string;
  /** Model id or one of its Hugging Face aliases. */
  model: string;
  system: string;
  user: string;
  seed: number;
  /** The request's `max_tokens`; a longer answer is truncated with finish reason `length`. */
  maxTokens?: number;
}

/** Output of {@link simulateAnswer}. */
export interface SimulatedAnswer {
  content: string;
  finishReason: 'stop' | 'length' | 'content_filter';
  /** Plausible latency of this answer for this model, before any scaling. */
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
}
