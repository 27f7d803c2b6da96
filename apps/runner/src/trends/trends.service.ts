import { Injectable } from '@nestjs/common';
import { assembleTrendSeriesAsync, type TrendSeriesSource } from '@beacon/analysis';
import { MAX_TREND_RUNS, RetentionRepository, SeriesResolver, TrendRepository, TrendSeriesError, type PruneOutcome } from '@beacon/db';
import type { TrendSeries } from '@beacon/domain';
import { DataSource } from 'typeorm';
import { ApiError } from '../api/api-error.js';

/** What a series is asked for: job ids, or a schedule (its newest `last` runs when given). */
export type TrendRequest =
  | { kind: 'jobs'; jobIds: string[]; question: string | null }
  | { kind: 'schedule'; scheduleId: string; last: number | null; question: string | null };

/**
 * Series of runs (`GET /api/v1/trends`) and pruning (`POST /api/v1/retention/prune`). The similarity of consecutive
 * runs' answers is computed in slices that yield to the event loop, so a 1,000-run series does not stall the daemon.
 */
@Injectable()
export class TrendsService {
  private readonly trends: TrendRepository;
  private readonly resolver: SeriesResolver;
  private readonly retention: RetentionRepository;

  constructor(ds: DataSource) {
    this.trends = new TrendRepository(ds);
    this.resolver = new SeriesResolver(ds);
    this.retention = new RetentionRepository(ds);
  }

  async series(req: TrendRequest): Promise<TrendSeries> {
    let jobIds: string[];
    let source: TrendSeriesSource;
    if (req.kind === 'schedule') {
      jobIds = await this.resolver.forSchedule(req.scheduleId, req.last ?? MAX_TREND_RUNS + 1);
      if (jobIds.length === 0) throw new ApiError(404, 'not_found', `schedule ${JSON.stringify(req.scheduleId)} has no runs`);
      if (jobIds.length > MAX_TREND_RUNS)
        throw new ApiError(
          400,
          'too_many_runs',
          `schedule ${JSON.stringify(req.scheduleId)} has more than ${MAX_TREND_RUNS} runs; ask for the newest with last=N (at most ${MAX_TREND_RUNS})`,
          [{ path: 'last', message: `is required above ${MAX_TREND_RUNS} runs` }],
        );
      source = { kind: 'schedule', scheduleId: req.scheduleId };
    } else {
      jobIds = req.jobIds;
      source = { kind: 'jobs', jobIds };
    }
    try {
      const { runs, points } = await this.trends.series(jobIds, req.question);
      return await assembleTrendSeriesAsync(
        source,
        runs.map(({ axes: _axes, ...r }) => r),
        points,
      );
    } catch (err) {
      throw err instanceof TrendSeriesError ? apiErrorOf(err, req.kind === 'schedule' ? 'schedule' : 'jobs') : err;
    }
  }

  prune(jobIds: string[], finishedBefore: Date | null, dryRun: boolean): Promise<PruneOutcome> {
    return this.retention.pruneJobs(jobIds, { finishedBefore, dryRun });
  }
}

function apiErrorOf(err: TrendSeriesError, param: string): ApiError {
  switch (err.kind) {
    case 'unknown_jobs':
      return new ApiError(404, 'not_found', err.message);
    case 'axes_differ':
      return new ApiError(400, 'axes_differ', err.message, [{ path: param, message: err.message }]);
    case 'too_many_runs':
    case 'no_runs':
      return new ApiError(400, 'invalid_parameter', `${param}: ${err.message}`, [{ path: param, message: err.message }]);
  }
}
