import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { type BeaconConfig, cancelAnswerStatus, type CancelView, isActiveJobStatus, type JobDetailView, type JobSummaryView, type Page, type Principal } from '@beacon/domain';
import type { LifecycleRepository, ReadRepository, SecurityRepository } from '@beacon/db';
import type { Request, Response } from 'express';
import { SubmitJobService } from '../jobs/submit-job.service.js';
import { assertMayCancel, submitterOf } from '../auth/ownership.js';
import { CurrentPrincipal } from '../auth/request-context.js';
import { RequireRole } from '../auth/roles.decorator.js';
import { SECURITY_REPOSITORY } from '../auth/security.tokens.js';
import type { BeaconMetrics } from '@beacon/observability';
import { BEACON_CONFIG, LIFECYCLE_REPOSITORY, METRICS, READ_REPOSITORY } from '../tokens.js';
import { ApiError } from './api-error.js';
import type { z } from 'zod';
import { jobIdParam, limit, noQuery, numericCursor, query, single, ValidInput } from './edge-input.js';
import { readJsonBody } from './read-body.js';

const listQuery = query({ limit: limit(50, 500), cursor: single(numericCursor) });

/** Job submission and job reads. */
@Controller('api/v1/jobs')
export class JobsController {
  constructor(
    private readonly submit: SubmitJobService,
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
    @Inject(LIFECYCLE_REPOSITORY) private readonly lifecycle: LifecycleRepository,
    @Inject(METRICS) private readonly metrics: BeaconMetrics,
    @Inject(SECURITY_REPOSITORY) private readonly security: SecurityRepository,
  ) {}

  @Post()
  @RequireRole('submitter')
  async create(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal): Promise<void> {
    const body = await readJsonBody(req, this.config.limits.maxBodyBytes);
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : null;
    const submitter = submitterOf(principal);
    const result = await this.submit.execute(body.text, body.value, submitter, traceparent, {
      bytes: body.bytes, headers: req.headers, maxInFlight: submitter === null ? undefined : this.config.limits.maxJobsInFlightPerToken,
    });
    res.status(result.status).location(`/api/v1/jobs/${encodeURIComponent(result.body.id)}`).json(result.body);
  }

  @Get()
  list(@Query(new ValidInput(listQuery)) q: z.output<typeof listQuery>): Promise<Page<JobSummaryView>> {
    return this.read.listJobs(q.limit, q.cursor ?? null);
  }

  @Get(':id')
  async get(@Param('id', new ValidInput(jobIdParam)) id: string, @Query(new ValidInput(noQuery)) _q: unknown): Promise<JobDetailView> {
    const job = await this.read.getJob(id);
    if (!job) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    return job;
  }

  /** Cancels pending cells at once; running calls are aborted at their runner's next heartbeat. */
  @Post(':id/cancel')
  @HttpCode(200)
  @RequireRole('submitter')
  async cancel(@Param('id', new ValidInput(jobIdParam)) id: string, @Query(new ValidInput(noQuery)) _q: unknown, @CurrentPrincipal() principal: Principal): Promise<CancelView> {
    await assertMayCancel(principal, id, this.security);
    const outcome = await this.lifecycle.cancel(id);
    if (!outcome.found) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    for (const k of outcome.cancelledByKey) this.metrics.executionsFinished.inc({ region: k.region, model: k.modelId, state: 'cancelled' }, k.count);
    return {
      id, previousStatus: outcome.previousStatus, alreadyFinished: !isActiveJobStatus(outcome.previousStatus),
      status: cancelAnswerStatus(outcome.previousStatus, outcome.running),
      pendingCancelled: outcome.pendingCancelled, running: outcome.running,
    };
  }
}
