import type { Problem } from '../problems/problem.js';
import type { CellVariant } from '../variant/cell-variant.js';

/** Which of the accepted input forms a job spec was written in. */
export type SpecFormat = 'beacon' | 'go-runner' | 'go-portal';

/** One question of a job: from the bank, given inline in the spec, or made from `benchmark.input.data.prompt`. */
export interface PlannedQuestion {
  id: string;
  text: string;
  category: string | null;
  /** BCP-47 tag when the bank or the inline question gives one; left out otherwise (specs stored before it lack it). */
  language?: string | null;
  /** The texts of the languages the job asks (`languages`), by tag; left out when it asks none. */
  translations?: Record<string, string>;
  source: 'bank' | 'inline' | 'prompt';
}

/** A job spec validated against the configuration, in one shape whatever form it was submitted in. */
export interface NormalisedJobSpec {
  /** The spec's id, or `job-` + the first 16 hex digits of its hash. */
  id: string;
  format: SpecFormat;
  version: string;
  benchmark: { name: string; version: string | null; description: string | null };
  /** In spec order. */
  questions: PlannedQuestion[];
  /** In spec order; `name` is the provider model name from the configuration. */
  models: { id: string; name: string }[];
  /** Canonical region ids in spec order, with the name rendered into their system prompt. */
  regions: { id: string; displayName: string; promptVariants?: Record<string, string> }[];
  repeats: number;
  /**
   * The variants every (question, model, region, replicate) is asked in, in matrix order: each of `languages` with
   * each of `prompt_variants`. Left out for a job that asks neither (its one variant is the default, `''`), so such
   * specs are stored as before. Region prompts of the chosen variants are frozen in `regions[].promptVariants`.
   */
  variants?: CellVariant[];
  constraints: {
    minRegions: number;
    minSuccessRate: number;
    timeoutMs: number | null;
    providerTimeoutMs: number | null;
    /**
     * The spec's `max_cost` in USD (`constraints.max_cost`, or `max_cost` at the top), or null for none. Enforced at
     * claim time: a job that cannot afford one more call stops with the status `budget_exhausted`. Absent in specs
     * stored before it was read.
     */
    maxCostUsd?: number | null;
    /**
     * `constraints.allow_region_fallback`: a region's fallback chain may serve a call from another region (each such
     * call is recorded with the region that served it, and flagged by the reconciler's served_elsewhere rule).
     */
    allowRegionFallback?: boolean;
  };
  parameters: { temperature: number; maxTokens: number; maxAttempts: number };
  /** Frozen at submission so every retry renders the same prompt. */
  prompt: { version: string; template: string };
  createdBy: string | null;
  createdAt: string | null;
  /** questions x models x regions x variants x repeats. */
  cells: number;
  /**
   * An upper bound of any call's input tokens (`promptTokensBound`: UTF-8 bytes of the longest rendered system prompt
   * and question, plus the chat template's), for the cost a claim reserves against `max_cost`.
   */
  promptTokensBound?: number;
}

/** The outcome of {@link normaliseJobSpec}: the spec and the hash of what was received, or every problem found. */
export type SpecResult = { ok: true; spec: NormalisedJobSpec; hash: string } | { ok: false; problems: Problem[] };
