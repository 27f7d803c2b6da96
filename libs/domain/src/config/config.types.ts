import type { AnalysisLimits } from './analysis-config.js';
import type { TransparencyConfig } from '../evidence/transparency-config.js';
import type { AuthConfig, SigningConfig } from '../auth/auth.types.js';
import type { PriceTable } from './price-table.js';
import type { NotificationsConfig } from '../notify/notify-config.js';
import type { ProviderConfig, RegionFallback } from '../provider/provider-config.js';

/** One region: an OpenAI-compatible endpoint and the name rendered into its system prompt. */
export interface RegionConfig {
  /** Canonical id, e.g. `us-east`; matches `^[a-z0-9][a-z0-9-]*$`. */
  id: string;
  /** Other names accepted in job specs (case-insensitive), e.g. `US`, `APAC`. */
  aliases: string[];
  /** Rendered into the system prompt as `{region_name}`, e.g. `the US`. */
  displayName: string;
  /** Base URL of the OpenAI-compatible API, e.g. `http://127.0.0.1:8788/us-east/v1`. */
  baseUrl: string;
  /** Name of the environment variable holding the API key, or null for none. */
  apiKeyEnv: string | null;
  /** Most provider calls in flight at once for this region (1..1024). */
  concurrency: number;
  /** Timeout of one provider call in milliseconds (1..3,600,000). */
  timeoutMs: number;
  /**
   * The API serving this region. Configured as `provider:`; left out, the OpenAI-compatible API at `baseUrl` with
   * `apiKeyEnv`. `baseUrl` and `apiKeyEnv` above always equal the provider's.
   */
  provider: ProviderConfig;
  /** The fallback chain (`fallbacks:`), empty for none. */
  fallbacks: RegionFallback[];
  /**
   * Other system prompts of the region by name (`promptVariants:`), chosen per job by `prompt_variants`; left out
   * when none are configured.
   */
  promptVariants?: Record<string, string>;
}

/** One model and the regions that serve it. */
export interface ModelConfig {
  /** Id used in job specs and stored on every execution, e.g. `llama3.2-1b`. */
  id: string;
  /** Model name sent to the provider in the request's `model` field. */
  name: string;
  /** Canonical ids of the regions serving it (default: all configured regions). */
  regions: string[];
}

/** One question of the question bank. */
export interface QuestionDef {
  id: string;
  text: string;
  category: string | null;
  /**
   * The question's language as a BCP-47 tag (`en`, `zh-Hans`), when its file or spec gives one. Optional so banks and
   * specs written before it existed read unchanged; it is carried with the question, never part of a cell's key.
   */
  language?: string | null;
  /** The question in other languages by BCP-47 tag, asked when a job's `languages` names them; left out when none. */
  translations?: Record<string, string>;
}

/** The system-prompt template; `version` names it in every attempt's audit row. */
export interface PromptConfig {
  version: string;
  /** Contains `{region_name}` at least once. */
  template: string;
}

/** Defaults applied to job specs that leave a setting out. */
export interface ConfigDefaults {
  temperature: number;
  maxTokens: number;
  maxAttempts: number;
  repeats: number;
}

/** Protection limits. */
export interface ConfigLimits {
  /** Largest matrix (questions x models x regions x repeats) one job may plan. */
  maxCellsPerJob: number;
  /** Largest request body the API accepts, in bytes. */
  maxBodyBytes: number;
  /** Jobs a token may have queued or running at once (tokens only; the local user of an open daemon is not limited). */
  maxJobsInFlightPerToken: number;
  /**
   * Longest an upstream's `Retry-After` may park a cell, in milliseconds; a longer one is cut to this (the attempt
   * records both). Default 120,000.
   */
  maxRetryAfterMs: number;
  /** Largest upstream response body read, in bytes; a longer one is a final `response_too_large` error. Default 4 MiB. */
  maxResponseBytes: number;
  /**
   * Calls of one cell lost with their runner's lease (crash, pause) before it fails: such calls do not count against
   * `max_attempts`, this bounds a cell that kills its runner every time. Default 5.
   */
  maxLeaseLossesPerCell: number;
  /** Live-event streams (`GET /api/v1/events`) one daemon serves at once, in total and per client address. */
  maxEventStreams: number;
  maxEventStreamsPerClient: number;
  /** Open HTTP connections one daemon accepts; past it a new connection gets 503 and is closed. */
  maxConnections: number;
  /**
   * API reads (GET, HEAD; not health probes, live-event streams or the analysis, limited on their own) one daemon serves
   * at once, and how many more may wait for a turn (up to 10 s); past both a read gets 503 `read_busy` with
   * Retry-After. Each read ends in synchronous work on the event loop the engine shares. Defaults 2 and 256.
   */
  maxConcurrentReads: number;
  maxQueuedReads: number;
  /** API requests a token may make per minute, counted in the database, so across every daemon (tokens only). */
  requestsPerMinutePerToken: number;
  /**
   * Failed authentications (unknown or mistyped tokens) a client address (an IPv6 /64) may make per minute; past it
   * the address gets 429 before any token is hashed. Counted in each daemon's memory.
   */
  failedAuthPerMinutePerAddress: number;
}

/**
 * The optional judge model of the refusal classifier: any OpenAI-compatible endpoint, asked only about responses the
 * rules label with a confidence below `belowConfidence`.
 */
export interface JudgeConfig {
  /** Base URL of the OpenAI-compatible API, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Model name sent in the request's `model` field. */
  model: string;
  /** Name of the environment variable holding the API key, or null for none. */
  apiKeyEnv: string | null;
  /** Rule labels with a confidence below this (0..1) go to the judge. */
  belowConfidence: number;
  /** Timeout of one judge call in milliseconds. */
  timeoutMs: number;
}

/** Settings of the refusal classifier (`classifier:` in the configuration file). */
export interface ClassifierConfig {
  /** The judge model, or null when none is configured or it is disabled (the default). */
  judge: JudgeConfig | null;
}

/**
 * Which names the daemon answers to (`server:` in the configuration file). Loopback names (`localhost`, `*.localhost`,
 * 127.0.0.0/8, ::1) and the address a request arrived on are always allowed; everything else is a DNS-rebinding risk
 * and is refused unless listed here.
 */
export interface ServerConfig {
  /** Extra `Host` names (optionally `name:port`) the daemon answers to, e.g. its DNS name behind a proxy; `*` for any. */
  allowedHosts: string[];
  /** Browser origins (`https://ops.example`) allowed besides the daemon's own; `*` for any. */
  allowedOrigins: string[];
}

/** The whole validated configuration (from `beacon.config.yaml` or the built-in defaults). */
export interface BeaconConfig {
  regions: Record<string, RegionConfig>;
  models: Record<string, ModelConfig>;
  questions: Record<string, QuestionDef>;
  prompt: PromptConfig;
  defaults: ConfigDefaults;
  limits: ConfigLimits;
  /** Refusal classifier settings; absent means the defaults (no judge). */
  classifier?: ClassifierConfig;
  /** API bearer tokens (hashes only); absent or empty means an open API, allowed on loopback only. */
  auth?: AuthConfig;
  /** Host and Origin allow-lists of the HTTP API; absent means none beyond loopback and the daemon's own. */
  server?: ServerConfig;
  /** Limits of the analysis endpoint; absent means the defaults (`ANALYSIS_DEFAULTS`). */
  analysis?: AnalysisLimits;
  /** Whether job specs must be signed, and by which keys; absent means not required. */
  signing?: SigningConfig;
  /**
   * USD per million input and output tokens by model and region (`prices:`); absent or empty means no call has a
   * known cost (its cost is stored as unknown, never 0) and a job spec's `max_cost` cannot be enforced.
   */
  prices?: PriceTable;
  /** Where findings are sent (`notifications:`); absent or no sinks means nowhere. */
  notifications?: NotificationsConfig;
  /** The evidence log: its origin, signing key, earlier keys, who may read it; absent means the defaults. */
  transparency?: TransparencyConfig;
  /** `'built-in defaults'` or the path of the file it was read from. */
  source: string;
}
