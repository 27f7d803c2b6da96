import { Inject, Injectable } from '@nestjs/common';
import {
  cancelAnswerStatus,
  type CancelView,
  isActiveJobStatus,
  type JobDetailView,
  type JobSummaryView,
  type Page,
  type Principal,
  type TimelineView,
} from '@beacon/domain';
import {
  TimelineRepository,
  type JobListFilter,
  type LifecycleRepository,
  type ReadRepository,
  type SecurityRepository,
  type TimelineQuery,
} from '@beacon/db';
import type { BeaconMetrics } from '@beacon/observability';
import { ApiError } from '../api/api-error.js';
import { assertMayCancel } from '../auth/ownership.js';
import { LIFECYCLE_REPOSITORY, METRICS, READ_REPOSITORY, SECURITY_REPOSITORY } from '../tokens.js';

/** Job reads, the timeline, and cancellation (submission is {@link SubmitJobService}'s); unknown jobs are 404. */
@Injectable()
export class JobsService {
  constructor(
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
    @Inject(LIFECYCLE_REPOSITORY) private readonly lifecycle: LifecycleRepository,
    @Inject(SECURITY_REPOSITORY) private readonly security: SecurityRepository,
    @Inject(METRICS) private readonly metrics: BeaconMetrics,
    private readonly timelines: TimelineRepository,
  ) {}

  list(limit: number, cursor: string | null, filter: JobListFilter = {}): Promise<Page<JobSummaryView>> {
    return this.read.listJobs(limit, cursor, filter);
  }

  async get(id: string): Promise<JobDetailView> {
    const job = await this.read.getJob(id);
    if (!job) throw notFound(id);
    return job;
  }

  async timeline(id: string, q: TimelineQuery): Promise<TimelineView> {
    const view = await this.timelines.timeline(id, q);
    if (!view) throw notFound(id);
    return view;
  }

  /**
   * Cancels the job's pending cells at once (running calls are aborted at their runner's next heartbeat), counts them
   * in `beacon_executions_finished_total`, and answers with the status the job has or will have.
   */
  async cancel(id: string, principal: Principal): Promise<CancelView> {
    await assertMayCancel(principal, id, this.security);
    const outcome = await this.lifecycle.cancel(id);
    if (!outcome.found) throw notFound(id);
    for (const k of outcome.cancelledByKey)
      this.metrics.executionsFinished.inc({ region: k.region, model: k.modelId, state: 'cancelled' }, k.count);
    return {
      id,
      previousStatus: outcome.previousStatus,
      alreadyFinished: !isActiveJobStatus(outcome.previousStatus),
      status: cancelAnswerStatus(outcome.previousStatus, outcome.running),
      pendingCancelled: outcome.pendingCancelled,
      running: outcome.running,
    };
  }
}

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
}
