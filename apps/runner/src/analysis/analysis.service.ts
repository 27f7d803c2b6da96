import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AnalysisWorkerError, AnalysisWorkerRun, axesOf, type AnalysisHeader } from '@beacon/analysis';
import { AnalysisReadRepository, ReadRepository } from '@beacon/db';
import { ANALYSIS_DEFAULTS, secrets, type AnalysisLimits, type BeaconConfig } from '@beacon/domain';
import { FindingsRepository } from '@beacon/reconciler';
import { DataSource } from 'typeorm';
import { ApiError } from '../api/api-error.js';
import { BEACON_CONFIG, READ_REPOSITORY } from '../tokens.js';

/** Rows per page read from the database and posted to the worker. */
const PAGE = 1000;
/** Seconds a client is told to wait while an analysis is being computed. */
const PENDING_RETRY_S = 2;

/**
 * An analysis ready to send: its JSON bytes (secrets already hidden by the worker), whether it came from the cache, and
 * where the time went (ms).
 */
export interface AnalysisAnswer {
  json: Buffer;
  cache: 'hit' | 'shared' | 'computed';
  timing: { version: number; read?: number; compute?: number };
}

/** A computed analysis and its phases: rows read and streamed to the worker, then the worker's own computation. */
interface Computed {
  json: Buffer;
  readMs: number;
  computeMs: number;
}

/**
 * `GET /api/v1/jobs/:id/analysis` without ever stalling the daemon:
 * - computed in a worker thread (rows streamed to it a page at a time, text cut in the database), with a time and
 *   heap budget;
 * - cached per job version (status, cells, labels, findings), so a finished job is analysed once;
 * - single-flight: requests for the same version wait on the same computation;
 * - limited: at most `concurrency` computations run, `queue` more wait for a slot, and any other distinct request gets
 *   503 `analysis_busy` with Retry-After;
 * - a request waits at most `waitMs`, then gets 503 `analysis_pending` with Retry-After while the computation goes on
 *   and fills the cache; a computation that ran out of time or memory is remembered for `failureTtlMs` (503
 *   `analysis_too_large`) instead of being started again by every retry.
 */
@Injectable()
export class AnalysisService implements OnModuleDestroy {
  private readonly limits: AnalysisLimits;
  private readonly rows: AnalysisReadRepository;
  /** Analysis JSON by key, least recently used dropped first, bounded by total bytes. */
  private readonly cache: LRUCache<string, Buffer>;
  /** Computations by key (job id + version), from admission until they settle. */
  private readonly inflight = new Map<string, Promise<Computed>>();
  /** Keys whose computation ran out of time or memory, until when they are not tried again. */
  private readonly failed = new Map<string, { error: AnalysisWorkerError; until: number }>();
  /** Version look-ups in flight by job id (one database round trip for any number of concurrent requests). */
  private readonly versions = new Map<string, Promise<string | null>>();
  private readonly runs = new Set<AnalysisWorkerRun>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    ds: DataSource,
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
    private readonly findings: FindingsRepository,
    @Inject(BEACON_CONFIG) config: BeaconConfig,
  ) {
    this.limits = config.analysis ?? ANALYSIS_DEFAULTS;
    this.rows = new AnalysisReadRepository(ds);
    const maxSize = Math.max(1, this.limits.cacheMb * 1024 * 1024);
    // An analysis larger than the whole cache is served once and not kept.
    this.cache = new LRUCache<string, Buffer>({ maxSize, maxEntrySize: maxSize, sizeCalculation: (b) => Math.max(1, b.length) });
  }

  /** The job's analysis, or 404 / 503 as {@link ApiError}. */
  async get(jobId: string): Promise<AnalysisAnswer> {
    const t0 = performance.now();
    const version = await this.version(jobId);
    const timing = { version: performance.now() - t0 };
    if (version === null) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(jobId)}`);
    // The analysis was redacted with the secrets known when it was computed: one registered since is a new version.
    const key = `${jobId}\u0000${version}\u0000${secrets.size}`;
    const cached = this.cache.get(key);
    if (cached) return { json: cached, cache: 'hit', timing };
    const failure = this.failed.get(key);
    if (failure && failure.until > Date.now()) throw tooLarge(jobId, failure.error, failure.until);
    this.failed.delete(key);

    let computation = this.inflight.get(key);
    const shared = computation !== undefined;
    if (!computation) {
      if (this.inflight.size >= this.limits.concurrency + this.limits.queue) {
        throw new ApiError(
          503,
          'analysis_busy',
          `${this.inflight.size} analyses are being computed (limit ${this.limits.concurrency} running + ${this.limits.queue} queued); retry later`,
          undefined,
          { 'retry-after': String(PENDING_RETRY_S * 2) },
        );
      }
      computation = this.start(key, jobId);
    }
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<'pending'>((resolve) => {
      timer = setTimeout(() => resolve('pending'), this.limits.waitMs);
    });
    try {
      const outcome = await Promise.race([computation, budget]);
      if (outcome === 'pending') {
        throw new ApiError(
          503,
          'analysis_pending',
          `the analysis of job ${JSON.stringify(jobId)} is being computed; retry in ${PENDING_RETRY_S} s (the same request will then be answered from the cache)`,
          undefined,
          { 'retry-after': String(PENDING_RETRY_S) },
        );
      }
      return {
        json: outcome.json,
        cache: shared ? 'shared' : 'computed',
        timing: { ...timing, read: outcome.readMs, compute: outcome.computeMs },
      };
    } catch (err) {
      if (err instanceof AnalysisWorkerError) {
        if (err.reason === 'failed') throw await this.failedAnswer(jobId);
        throw tooLarge(jobId, err, this.failed.get(key)?.until ?? Date.now() + this.limits.failureTtlMs);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A computation that failed without running out of time or memory: the job was deleted meanwhile (404, as for any
   * unknown job), or the worker died (503 with Retry-After: a new worker is started by the next request, and nothing
   * about the failure is remembered).
   */
  private async failedAnswer(jobId: string): Promise<ApiError> {
    if ((await this.rows.version(jobId)) === null) return new ApiError(404, 'not_found', `no job with id ${JSON.stringify(jobId)}`);
    return new ApiError(
      503,
      'analysis_failed',
      `the analysis of job ${JSON.stringify(jobId)} stopped before finishing; retry shortly`,
      undefined,
      { 'retry-after': String(PENDING_RETRY_S) },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.runs].map((r) => r.terminate()));
  }

  private version(jobId: string): Promise<string | null> {
    let v = this.versions.get(jobId);
    if (!v) {
      v = this.rows.version(jobId).finally(() => this.versions.delete(jobId));
      this.versions.set(jobId, v);
    }
    return v;
  }

  /** Admits a computation: it waits for a slot, runs, and on success fills the cache. */
  private start(key: string, jobId: string): Promise<Computed> {
    const computation = (async () => {
      await this.acquire();
      try {
        return await this.compute(jobId);
      } finally {
        this.release();
      }
    })();
    this.inflight.set(key, computation);
    computation
      .then(
        (done) => {
          // Older versions of the job are never asked for again.
          for (const k of [...this.cache.keys()]) if (k.startsWith(`${jobId}\u0000`)) this.cache.delete(k);
          this.cache.set(key, done.json);
        },
        (err: unknown) => {
          if (err instanceof AnalysisWorkerError && err.reason !== 'failed') {
            const now = Date.now();
            for (const [k, f] of this.failed) if (f.until <= now) this.failed.delete(k); // keeps the map to live entries
            this.failed.set(key, { error: err, until: now + this.limits.failureTtlMs });
          }
        },
      )
      .finally(() => this.inflight.delete(key));
    return computation;
  }

  private acquire(): Promise<void> {
    if (this.running < this.limits.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.running += 1;
        resolve();
      }),
    );
  }

  private release(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }

  /** Streams the job's rows to a fresh worker a page at a time and returns the worker's JSON. */
  private async compute(jobId: string): Promise<Computed> {
    const t0 = performance.now();
    const job = await this.read.getJob(jobId);
    if (!job) throw new AnalysisWorkerError('failed', `job ${jobId} disappeared during its analysis`);
    // The worker redacts with every secret known now; what is cached is the redacted analysis.
    const run = new AnalysisWorkerRun({ timeoutMs: this.limits.timeoutMs, maxHeapMb: this.limits.maxHeapMb, secrets: secrets.registered });
    this.runs.add(run);
    try {
      const header: AnalysisHeader = {
        ...axesOf(job),
        sampleReplicates: this.limits.sampleReplicates,
        maxTextChars: this.limits.maxTextChars,
        now: new Date().toISOString(),
        servedBy: await this.rows.servedBy(jobId),
      };
      run.send({ type: 'start', header });
      let cursor: string | null = null;
      do {
        if (run.settled) break; // out of time: stop reading
        const page = await this.rows.cellsPage(jobId, cursor, PAGE, this.limits.maxTextChars);
        run.send({ type: 'cells', cells: page.cells });
        cursor = page.nextCursor;
      } while (cursor);
      cursor = null;
      do {
        if (run.settled) break;
        const page: Awaited<ReturnType<FindingsRepository['list']>> = await this.findings.list({ jobId, state: 'open' }, PAGE, cursor);
        run.send({ type: 'findings', findings: page.items });
        cursor = page.nextCursor;
      } while (cursor);
      run.send({ type: 'end' });
      const readMs = performance.now() - t0;
      const { json, ms } = await run.result;
      return { json, readMs, computeMs: ms };
    } finally {
      this.runs.delete(run);
      await run.terminate();
    }
  }
}

function tooLarge(jobId: string, err: AnalysisWorkerError, until: number): ApiError {
  const retry = Math.max(1, Math.ceil((until - Date.now()) / 1000));
  return new ApiError(
    503,
    'analysis_too_large',
    `the analysis of job ${JSON.stringify(jobId)} could not be computed: ${err.message}; ` +
      'raise analysis.timeoutMs or analysis.maxHeapMb, or lower analysis.sampleReplicates or analysis.maxTextChars',
    undefined,
    { 'retry-after': String(retry) },
  );
}
