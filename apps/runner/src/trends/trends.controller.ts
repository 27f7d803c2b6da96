import { Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { MAX_TREND_RUNS, type PruneOutcome } from '@beacon/db';
import { summariseTrend, type BeaconConfig, type TrendSeries, type TrendSummary } from '@beacon/domain';
import { parseDuration } from '@beacon/reconciler';
import type { Request } from 'express';
import { z } from 'zod';
import { ApiError } from '../api/api-error.js';
import { invalidParameters, noQuery, problemsOf, query, Refusal, single, textProblem, ValidInput } from '../api/edge-input.js';
import { readJsonBody } from '../api/read-body.js';
import { RequireRole } from '../auth/roles.decorator.js';
import { BEACON_CONFIG } from '../tokens.js';
import { TrendsService, type TrendRequest } from './trends.service.js';

/** Longest `jobs=` list, in characters (1,000 ids of up to 64 characters, with commas). */
const MAX_JOBS_PARAM = 65_000;

/** A comma-separated list of job ids: each non-empty, at most 128 characters, at most {@link MAX_TREND_RUNS} of them. */
const jobList = (v: string): string[] | Refusal => {
  const ids = v.split(',');
  if (ids.some((id) => id.trim() === '')) return new Refusal('must be job ids separated by commas, none empty');
  if (ids.some((id) => id.length > 128)) return new Refusal('a job id is at most 128 characters');
  if (new Set(ids).size > MAX_TREND_RUNS)
    return new Refusal(`a series has at most ${MAX_TREND_RUNS} runs; ${new Set(ids).size} were asked for`);
  return ids;
};

const lastRuns = (v: string): number | Refusal =>
  /^\d{1,7}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_TREND_RUNS
    ? Number(v)
    : new Refusal(`must be an integer from 1 to ${MAX_TREND_RUNS}`);

const trendQuery = query({
  jobs: single(jobList, MAX_JOBS_PARAM),
  schedule: single(),
  last: single(lastRuns),
  question: single(),
});

/**
 * `GET /api/v1/trends`: the series of a schedule's runs (`schedule=ID`, the newest `last=N`) or of jobs of the same
 * spec (`jobs=a,b,c`), optionally one question's cells only (`question=Q`). Viewer role, like every read.
 */
@Controller('api/v1/trends')
export class TrendsController {
  constructor(private readonly trends: TrendsService) {}

  @Get()
  get(@Query(new ValidInput(trendQuery)) q: z.output<typeof trendQuery>): Promise<TrendSeries> {
    return this.trends.series(requestOf(q));
  }

  /**
   * `GET /api/v1/trends/cells`: the same series summarised by cell (strips, flips, the newest sample; no points), what
   * the TUI's Trends screen draws. Same parameters.
   */
  @Get('cells')
  async cells(@Query(new ValidInput(trendQuery)) q: z.output<typeof trendQuery>): Promise<TrendSummary> {
    return summariseTrend(await this.trends.series(requestOf(q)));
  }
}

/** The request a query names; 400 naming the parameter when it names none or both. */
function requestOf(q: z.output<typeof trendQuery>): TrendRequest {
  if ((q.jobs === undefined) === (q.schedule === undefined)) {
    throw invalidParameters([
      { path: q.jobs ? 'schedule' : 'jobs', message: 'give either jobs=a,b,… or schedule=ID, not both and not neither' },
    ]);
  }
  if (q.jobs && q.last !== undefined) throw invalidParameters([{ path: 'last', message: 'only with schedule=ID' }]);
  const question = q.question ?? null;
  return q.jobs
    ? { kind: 'jobs', jobIds: q.jobs, question }
    : { kind: 'schedule', scheduleId: q.schedule!, last: q.last ?? null, question };
}

/** The body of `POST /api/v1/retention/prune`. */
const pruneBody = z.strictObject({
  jobs: z
    .array(
      z
        .string()
        .min(1)
        .max(128)
        .refine((v) => textProblem(v) === null, { message: 'must not contain control characters' }),
    )
    .min(1)
    .max(MAX_TREND_RUNS),
  olderThan: z
    .string()
    .max(32)
    .refine((v) => parseDuration(v) !== null, { message: 'must be a duration such as 30d, 12h or 90m' })
    .optional(),
  dryRun: z.boolean().optional(),
});

/**
 * `POST /api/v1/retention/prune` (operator): deletes finished jobs, keeping their trend summaries; queued and running
 * jobs, unknown ids and, with `olderThan`, jobs that finished more recently come back as skipped.
 */
@Controller('api/v1/retention')
export class RetentionController {
  constructor(
    private readonly trends: TrendsService,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  @Post('prune')
  @HttpCode(200)
  @RequireRole('operator')
  async prune(@Req() req: Request, @Query(new ValidInput(noQuery)) _q: unknown): Promise<PruneOutcome & { dryRun: boolean }> {
    const body = await readJsonBody(req, this.config.limits.maxBodyBytes);
    const parsed = pruneBody.safeParse(body.value);
    if (!parsed.success)
      throw new ApiError(
        400,
        'invalid_body',
        problemsOf(parsed.error)
          .map((p) => `${p.path}: ${p.message}`)
          .join('; '),
        problemsOf(parsed.error),
      );
    const { jobs, olderThan, dryRun = false } = parsed.data;
    const finishedBefore = olderThan === undefined ? null : new Date(Date.now() - parseDuration(olderThan)!);
    return { ...(await this.trends.prune(jobs, finishedBefore, dryRun)), dryRun };
  }
}
