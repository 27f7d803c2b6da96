import { intBetween, strictObject } from '../json/common.schema.js';

/**
 * How `GET /api/v1/jobs/:id/analysis` (and `beacon report`, which reads it) is kept from stalling the daemon
 * (`analysis:` in the configuration file).
 */
export interface AnalysisLimits {
  /** Analyses computed at once, each in its own worker thread. Default 1. */
  concurrency: number;
  /** Further distinct analyses that may wait for a slot; past running + queued, requests get 503 `analysis_busy`. Default 2. */
  queue: number;
  /** How long a request waits for its analysis before 503 `analysis_pending` with Retry-After (the computation goes on). Default 10,000 ms. */
  waitMs: number;
  /** Time budget of one computation (reading included); past it the worker is stopped and the job answers 503 `analysis_too_large`. Default 120,000 ms. */
  timeoutMs: number;
  /** How long such a failure is remembered before the analysis is tried again. Default 300,000 ms. */
  failureTtlMs: number;
  /** Heap of an analysis worker in MiB. Default 1,024. */
  maxHeapMb: number;
  /** Bytes of analysis JSON kept in the cache (per job version), in MiB. Default 64. */
  cacheMb: number;
  /** Replicates per region compared pairwise; above it the band is bootstrapped over a sample of this size. Default 64. */
  sampleReplicates: number;
  /** Characters of each response the analysis reads (similarity and the answers shown). Default 8,000. */
  maxTextChars: number;
}

/** Defaults of {@link AnalysisLimits}. */
export const ANALYSIS_DEFAULTS: Readonly<AnalysisLimits> = {
  concurrency: 1,
  queue: 2,
  waitMs: 10_000,
  timeoutMs: 120_000,
  failureTtlMs: 300_000,
  maxHeapMb: 1024,
  cacheMb: 64,
  sampleReplicates: 64,
  maxTextChars: 8000,
};

/** The `analysis:` section of the configuration file; every key optional. */
export const analysisSectionSchema = strictObject({
  concurrency: intBetween(1, 64).optional(),
  queue: intBetween(0, 1000).optional(),
  waitMs: intBetween(1, 600_000).optional(),
  timeoutMs: intBetween(100, 3_600_000).optional(),
  failureTtlMs: intBetween(0, 86_400_000).optional(),
  maxHeapMb: intBetween(64, 65_536).optional(),
  cacheMb: intBetween(0, 65_536).optional(),
  sampleReplicates: intBetween(2, 10_000).optional(),
  maxTextChars: intBetween(100, 1_000_000).optional(),
});
