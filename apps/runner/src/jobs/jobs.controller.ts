import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { BeaconConfig, CancelView, JobDetailView, JobSummaryView, Page, Principal } from '@beacon/domain';
import type { Request, Response } from 'express';
import { requestTraceparent } from '@beacon/observability';
import { SubmitJobService } from './submit-job.service.js';
import { JobsService } from './jobs.service.js';
import { submitterOf } from '../auth/ownership.js';
import { CurrentPrincipal } from '../auth/request-context.js';
import { RequireRole } from '../auth/roles.decorator.js';
import { BEACON_CONFIG } from '../tokens.js';
import type { z } from 'zod';
import { jobIdParam, limit, noQuery, numericCursor, query, single, ValidInput } from '../api/edge-input.js';
import { readJsonBody } from '../api/read-body.js';

const listQuery = query({ limit: limit(50, 500), cursor: single(numericCursor) });

/** Job submission and job reads. */
@Controller('api/v1/jobs')
export class JobsController {
  constructor(
    private readonly submit: SubmitJobService,
    private readonly jobs: JobsService,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  @Post()
  @RequireRole('submitter')
  async create(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal): Promise<void> {
    // The link every attempt of the job carries: this request's own span (whose parent is the caller's, e.g. `beacon
    // submit`'s), read before anything awaits.
    const traceparent = requestTraceparent(req.headers);
    const body = await readJsonBody(req, this.config.limits.maxBodyBytes);
    const submitter = submitterOf(principal);
    const result = await this.submit.execute(body.text, body.value, submitter, traceparent, {
      bytes: body.bytes,
      headers: req.headers,
      maxInFlight: submitter === null ? undefined : this.config.limits.maxJobsInFlightPerToken,
    });
    res
      .status(result.status)
      .location(`/api/v1/jobs/${encodeURIComponent(result.body.id)}`)
      .json(result.body);
  }

  @Get()
  list(@Query(new ValidInput(listQuery)) q: z.output<typeof listQuery>): Promise<Page<JobSummaryView>> {
    return this.jobs.list(q.limit, q.cursor ?? null);
  }

  @Get(':id')
  get(@Param('id', new ValidInput(jobIdParam)) id: string, @Query(new ValidInput(noQuery)) _q: unknown): Promise<JobDetailView> {
    return this.jobs.get(id);
  }

  /** Cancels pending cells at once; running calls are aborted at their runner's next heartbeat. */
  @Post(':id/cancel')
  @HttpCode(200)
  @RequireRole('submitter')
  cancel(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CancelView> {
    return this.jobs.cancel(id, principal);
  }
}
