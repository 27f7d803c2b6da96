import { z } from 'zod';
import { REGION_NAME_PLACEHOLDER } from '../prompt/system-prompt.renderer.js';
import { PROMPT_VARIANT_PATTERN, DEFAULT_PROMPT_VARIANT } from '../variant/cell-variant.js';
import { idString, intBetween, languageTag, numberBetween, positiveInt, questionText, strictObject } from '../json/common.schema.js';
import { REGION_DEFAULTS } from './default-config.data.js';
import { authSectionSchema, signingSectionSchema } from '../auth/auth-config.schema.js';
import { analysisSectionSchema } from './analysis-config.js';
import { notificationsSectionSchema } from '../notify/notify-config.js';
import { transparencySectionSchema } from '../evidence/transparency-config.js';
import { PROVIDER_KINDS } from '../provider/provider-config.js';

/** Canonical region ids: lower-case letters, digits and dashes. */
export const REGION_ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** An entry of `server.allowedHosts`: `*`, or a host name, IPv4 address or [IPv6] address with an optional port. */
export const ALLOWED_HOST_PATTERN = /^(\*|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?$/;

/** An entry of `server.allowedOrigins`: `*`, or `http(s)://host[:port]`. */
export const ALLOWED_ORIGIN_PATTERN = /^(\*|https?:\/\/([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?)$/;

/** Model ids; dots, colons and slashes allowed (`qwen2.5-1.5b`, `org/model`). */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;

const nonEmpty = () => z.string().min(1);

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const envName = () => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' });

/** `regions.<id>.provider`: the API serving the region; `baseUrl` and `apiKeyEnv` fall back to the region's own. */
export const providerSchema = strictObject({
  kind: z.enum(PROVIDER_KINDS, { error: `must be one of ${PROVIDER_KINDS.join(', ')}` }).default('openai'),
  baseUrl: z.string().refine(isHttpUrl, { error: 'must be an http(s) URL' }).optional(),
  apiKeyEnv: envName().nullable().optional(),
  apiVersion: nonEmpty().nullable().default(null),
  deployment: nonEmpty().nullable().default(null),
  awsRegion: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region such as us-east-1' })
    .nullable()
    .default(null),
  accessKeyIdEnv: envName().nullable().default(null),
  sessionTokenEnv: envName().nullable().default(null),
  regionHeader: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { error: 'must be an HTTP header name' })
    .nullable()
    .default(null),
  observedRegions: z.array(nonEmpty()).default([]),
  requestsPerMinute: intBetween(1, 10_000_000).nullable().default(null),
  tokensPerMinute: intBetween(1, 1_000_000_000).nullable().default(null),
});

/** A region prompt variant's name: {@link PROMPT_VARIANT_PATTERN}, and not the reserved `default`. */
export function promptVariantName() {
  return z
    .string()
    .regex(PROMPT_VARIANT_PATTERN, { error: `must match ${PROMPT_VARIANT_PATTERN.source}` })
    .refine((name) => name !== DEFAULT_PROMPT_VARIANT, {
      error: `"${DEFAULT_PROMPT_VARIANT}" names the configured prompt and cannot be redefined`,
    });
}

/** One entry of `regions:`, keyed by the region id. */
export const regionSchema = strictObject({
  aliases: z.array(nonEmpty()).default([]),
  displayName: nonEmpty(),
  baseUrl: z.string().refine(isHttpUrl, { error: 'must be an http(s) URL' }).optional(),
  apiKeyEnv: envName().nullable().default(REGION_DEFAULTS.apiKeyEnv),
  concurrency: intBetween(1, 1024).default(REGION_DEFAULTS.concurrency),
  timeoutMs: intBetween(1, 3_600_000).default(REGION_DEFAULTS.timeoutMs),
  provider: providerSchema.optional(),
  /** Tried in order after retryable failures; each step is checked on its own ({@link fallbackSchema}). */
  fallbacks: z.array(z.unknown()).max(8).default([]),
  /**
   * Other system prompts of this region by name (`native: "你是…{region_name}…"`), which a job picks with its
   * `prompt_variants`; `{region_name}` is optional in these. `default` names the configured prompt and is reserved.
   */
  promptVariants: z.record(promptVariantName(), questionText()).optional(),
});

/** One step of `regions.<id>.fallbacks`: `{ region: <id> }` (another region's provider) or `{ provider: {…} }`. */
export const fallbackSchema = z.union([strictObject({ region: nonEmpty() }), strictObject({ provider: providerSchema })], {
  error: 'must be { region: <id> } or { provider: { kind, baseUrl, … } }',
});

/** One entry of `models:`, keyed by the model id; null means all defaults. */
export const modelSchema = strictObject({
  name: nonEmpty().optional(),
  regions: z.array(nonEmpty()).min(1).optional(),
}).nullable();

/** One question, as in `questions:` and in a questions file. */
export const questionSchema = strictObject({
  id: idString(),
  text: questionText(),
  category: nonEmpty().nullable().default(null),
  language: languageTag().nullable().optional(),
  /** The question in other languages, by BCP-47 tag: what a job's `languages` asks. */
  translations: z.record(languageTag(), questionText()).optional(),
});

/**
 * Schemas of the top-level sections of `beacon.config.yaml`; every section is optional. Entries of
 * `regions`, `models` and `questions` are checked one by one, so one bad entry does not hide the
 * problems of the others.
 */
export const configSectionSchemas = {
  regions: z.record(z.string(), z.unknown()),
  models: z.record(z.string(), z.unknown()),
  questions: z.array(z.unknown()),
  questionsFile: nonEmpty(),
  prompt: strictObject({
    version: nonEmpty(),
    template: z.string().refine((text) => text.includes(REGION_NAME_PLACEHOLDER), {
      error: `must contain ${REGION_NAME_PLACEHOLDER}`,
    }),
  }),
  defaults: strictObject({
    temperature: numberBetween(0, 2).optional(),
    maxTokens: intBetween(1, 1_000_000).optional(),
    maxAttempts: intBetween(1, 20).optional(),
    repeats: intBetween(1, 1000).optional(),
  }),
  limits: strictObject({
    maxCellsPerJob: positiveInt().optional(),
    maxBodyBytes: positiveInt().optional(),
    maxJobsInFlightPerToken: positiveInt().optional(),
    maxRetryAfterMs: intBetween(0, 86_400_000).optional(),
    maxResponseBytes: intBetween(1024, 1_073_741_824).optional(),
    maxLeaseLossesPerCell: intBetween(1, 1000).optional(),
    maxEventStreams: intBetween(1, 100_000).optional(),
    maxEventStreamsPerClient: intBetween(1, 100_000).optional(),
    maxConnections: intBetween(8, 1_000_000).optional(),
    maxConcurrentReads: intBetween(1, 1000).optional(),
    maxQueuedReads: intBetween(0, 100_000).optional(),
    requestsPerMinutePerToken: positiveInt().optional(),
    failedAuthPerMinutePerAddress: positiveInt().optional(),
  }),
  auth: authSectionSchema,
  server: strictObject({
    allowedHosts: z
      .array(
        z.string().regex(ALLOWED_HOST_PATTERN, {
          error: 'must be a host name or address, optionally with :port (e.g. beacon.internal or beacon.internal:8443), or * for any',
        }),
      )
      .default([]),
    allowedOrigins: z
      .array(
        z.string().regex(ALLOWED_ORIGIN_PATTERN, {
          error: 'must be an origin: http(s)://host[:port] without a path (e.g. https://ops.example), or * for any',
        }),
      )
      .default([]),
  }),
  signing: signingSectionSchema,
  analysis: analysisSectionSchema,
  classifier: strictObject({
    judge: strictObject({
      enabled: z.boolean().default(true),
      baseUrl: z.string().refine(isHttpUrl, { error: 'must be an http(s) URL' }),
      model: nonEmpty(),
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' })
        .nullable()
        .default(null),
      belowConfidence: numberBetween(0, 1).default(0.7),
      timeoutMs: intBetween(1, 600_000).default(60_000),
    }).optional(),
  }),
  /** The price table: entries checked one by one (`buildPriceTable`). */
  prices: z.array(z.unknown()),
  /** Webhook and Slack sinks for findings: entries checked one by one (`buildNotifications`). */
  notifications: notificationsSectionSchema,
  transparency: transparencySectionSchema,
};

/** The top-level keys `beacon.config.yaml` may have. */
export type ConfigSection = keyof typeof configSectionSchemas;

/** Every known top-level key, in documentation order. */
export const CONFIG_SECTIONS = Object.keys(configSectionSchemas) as ConfigSection[];

/** The parsed value of one section. */
export type ConfigSectionValue<K extends ConfigSection> = z.output<(typeof configSectionSchemas)[K]>;
