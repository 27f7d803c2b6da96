import { z } from 'zod';
import { PROMPT_VARIANT_PATTERN } from '../variant/cell-variant.js';
import { idString, intBetween, languageTag, MAX_QUESTION_TEXT, numberBetween, positiveInt, questionText } from '../json/common.schema.js';

/**
 * Beacon's own job spec form (JSON). Every field but the three axes is optional:
 *
 * ```json
 * {
 *   "id": "my-job-1",                       // ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$; default job-<hash>
 *   "name": "bias check", "description": "…",
 *   "questions": ["math_basic", { "id": "q1", "text": "Who won?", "category": "custom", "language": "en" }],
 *   "models": ["llama3.2-1b", { "id": "mistral-7b" }],
 *   "regions": ["us-east", "EU"],           // ids or aliases, case-insensitive
 *   "repeats": 1,                           // 1..1000
 *   "languages": ["en", "zh-Hans"],         // ask each question in each (its text or translations.<tag>)
 *   "prompt_variants": ["default", "native"], // the configured prompt and regions.<id>.promptVariants.native
 *   "parameters": { "temperature": 0.1, "max_tokens": 500 },
 *   "max_attempts": 4,                      // 1..20
 *   "constraints": { "min_regions": 1, "min_success_rate": 0.67, "timeout_ms": 600000,
 *                    "max_cost": 2.5 },          // USD; needs a price for every model x region (config prices:)
 *   "created_by": "alice"
 * }
 * ```
 *
 * The Go runner's forms are accepted as well: its bare JobSpec (`benchmark`, `constraints.regions`,
 * `metadata.models`, timeouts in nanoseconds) and the portal's `{ jobspec, target_regions, … }` wrapper.
 * Unknown fields are ignored. The schemas below check single fields; `normaliseJobSpec` reads them.
 */
export const specFieldSchemas = {
  id: idString(),
  label: z.string().max(1000),
  description: z.string().max(MAX_QUESTION_TEXT),
  prompt: questionText(),
  repeats: intBetween(1, 1000),
  minRegions: z.int({ error: 'must be an integer >= 1' }).min(1, { error: 'must be an integer >= 1' }),
  minSuccessRate: numberBetween(0, 1),
  nanoseconds: z
    .int({ error: 'must be a whole number of nanoseconds (Go duration)' })
    .min(0, { error: 'must be a whole number of nanoseconds (Go duration)' }),
  milliseconds: positiveInt(),
  temperature: numberBetween(0, 2),
  maxTokens: intBetween(1, 1_000_000),
  maxAttempts: intBetween(1, 20),
  /** USD; 0 is refused (a job that may spend nothing cannot run), as is anything not a finite number. */
  maxCost: z
    .number({ error: 'must be a number of US dollars greater than 0' })
    .gt(0, { error: 'must be a number of US dollars greater than 0' })
    .max(1_000_000_000, { error: 'must be at most 1000000000 (US dollars)' }),
  timestamp: z.string().refine((text) => !Number.isNaN(Date.parse(text)), { error: 'must be an RFC 3339 timestamp' }),
  flag: z.boolean({ error: 'must be true or false' }),
  /** The languages every question is asked in (BCP-47 tags, each once). */
  languages: z
    .array(languageTag())
    .min(1, { error: "must list at least one language (leave it out for each question's own text)" })
    .max(20, { error: 'must list at most 20 languages' }),
  /** The region prompt variants every cell is asked under; `default` is the configured prompt. */
  promptVariants: z
    .array(z.string().regex(PROMPT_VARIANT_PATTERN, { error: `must match ${PROMPT_VARIANT_PATTERN.source}` }))
    .min(1, { error: 'must list at least one prompt variant (leave it out for the configured prompt)' })
    .max(20, { error: 'must list at most 20 prompt variants' }),
};

/** An inline question of a job spec. */
export const inlineQuestionSchema = z.looseObject({
  id: idString(),
  text: questionText(),
  category: z.string().min(1).max(200).nullish(),
  language: languageTag().nullish(),
  translations: z.record(languageTag(), questionText()).nullish(),
});

/** A model given as an object (`{ id, name }`, Go style); only `id` is used. */
export const modelObjectSchema = z.looseObject({ id: z.string().min(1) });

/** An entry of `questions`: a bank id or an inline question. */
export type QuestionInput =
  string | { id: string; text: string; category?: string | null; language?: string | null; translations?: Record<string, string> | null };

/** An entry of `models`: a configured model id or `{ id, name }`. */
export type ModelInput = string | { id: string; name?: string };

/** Beacon's own job spec form; see {@link specFieldSchemas}. */
export interface BeaconJobSpecInput {
  id?: string;
  name?: string;
  description?: string;
  questions: QuestionInput[];
  models: ModelInput[];
  regions: string[];
  repeats?: number;
  /** Languages every question is asked in; left out, each question's own text. */
  languages?: string[];
  /** Region prompt variants every cell is asked under (`default`: the configured prompt); left out, the configured one. */
  prompt_variants?: string[];
  parameters?: { temperature?: number; max_tokens?: number };
  max_attempts?: number;
  constraints?: {
    min_regions?: number;
    min_success_rate?: number;
    timeout_ms?: number;
    max_cost?: number;
    /** Lets a region's fallback chain serve a call from another region (recorded, and flagged by the reconciler). */
    allow_region_fallback?: boolean;
  };
  max_cost?: number;
  created_by?: string;
}

/** The fields of the Go runner's JobSpec that Beacon reads; timeouts are nanoseconds. */
export interface GoRunnerJobSpecInput {
  id?: string;
  jobspec_id?: string;
  version?: string;
  benchmark?: { name?: string; version?: string; description?: string; input?: { data?: { prompt?: string } } };
  constraints?: {
    regions?: string[];
    min_regions?: number;
    min_success_rate?: number;
    timeout?: number;
    provider_timeout?: number;
    max_cost?: number;
  };
  metadata?: { models?: ModelInput[]; created_by?: string };
  models?: ModelInput[];
  regions?: string[];
  questions?: QuestionInput[] | null;
  created_at?: string;
}

/** The Go portal's cross-region submission; wrapper values override the inner spec's constraints. */
export interface GoPortalSubmissionInput {
  jobspec: GoRunnerJobSpecInput;
  target_regions?: string[];
  min_regions?: number;
  min_success_rate?: number;
  enable_analysis?: boolean;
}
