/**
 * The inference APIs a region can be served by. `openai` (chat completions) is the default, so a region configured
 * with only `baseUrl` and `apiKeyEnv` keeps working as before.
 */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'gemini', 'bedrock', 'azure-openai', 'ollama', 'hybrid-router'] as const;

/** One of {@link PROVIDER_KINDS}. */
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** How one region's calls are made: `regions.<id>.provider`. Fields a kind does not use are null. */
export interface ProviderConfig {
  kind: ProviderKind;
  /** The API's base URL (e.g. `https://api.anthropic.com/v1`, `https://bedrock-runtime.us-east-1.amazonaws.com`). */
  baseUrl: string;
  /** Environment variable holding the key (bedrock: the secret access key), or null for none. */
  apiKeyEnv: string | null;
  /** anthropic: the `anthropic-version` header; azure-openai: the `api-version` query parameter. Null: the kind's default. */
  apiVersion: string | null;
  /** azure-openai: the deployment called; null: the model's name. */
  deployment: string | null;
  /** bedrock: the AWS region requests are signed for (SigV4), e.g. `us-east-1`. */
  awsRegion: string | null;
  /** bedrock: environment variables with the access key id and, optionally, a session token. */
  accessKeyIdEnv: string | null;
  sessionTokenEnv: string | null;
  /** A response header naming where the call ran, read in addition to the kind's own (e.g. `x-served-region`). */
  regionHeader: string | null;
  /**
   * What the provider may report for this region (`region_observed`), e.g. `[us-east-1, us-east-2]`. Empty: any value
   * is recorded but not judged; otherwise a value outside the list is a finding of the reconciler (region_mismatch).
   */
  observedRegions: string[];
  /** Client-side quota of this provider account: requests and tokens per minute, null for none. */
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

/** The defaults each kind applies when the configuration leaves a field out. */
export const PROVIDER_DEFAULTS = {
  anthropicVersion: '2023-06-01',
  azureApiVersion: '2024-10-21',
} as const;

/** The OpenAI-compatible provider of a region configured the old way (only `baseUrl` and `apiKeyEnv`). */
export function openAiProvider(baseUrl: string, apiKeyEnv: string | null): ProviderConfig {
  return {
    kind: 'openai',
    baseUrl,
    apiKeyEnv,
    apiVersion: null,
    deployment: null,
    awsRegion: null,
    accessKeyIdEnv: null,
    sessionTokenEnv: null,
    regionHeader: null,
    observedRegions: [],
    requestsPerMinute: null,
    tokensPerMinute: null,
  };
}

/**
 * One step of a region's fallback chain (`regions.<id>.fallbacks`), tried in order when the calls before it failed
 * with a retryable error: another provider serving the same region, or another configured region's provider, which
 * serves the call from that region and is used only for jobs whose spec allows it (`allow_region_fallback`).
 */
export type RegionFallback = { kind: 'provider'; provider: ProviderConfig } | { kind: 'region'; region: string };
