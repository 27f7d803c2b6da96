import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  JOB_STATUSES,
  type BeaconConfig,
  type CancelView,
  type JobDetailView,
  type JobSummaryView,
  type Page,
  type Principal,
} from '@beacon/domain';
import type { Request, Response } from 'express';
import { requestTraceparent } from '@beacon/observability';
import { SubmitJobService } from './submit-job.service.js';
import { JobsService } from './jobs.service.js';
import { submitterOf } from '../auth/ownership.js';
import { CurrentPrincipal } from '../auth/request-context.js';
import { RequireRole } from '../auth/roles.decorator.js';
import { BEACON_CONFIG } from '../tokens.js';
import type { z } from 'zod';
import { jobIdParam, limit, noQuery, numericCursor, oneOf, query, Refusal, single, ValidInput } from '../api/edge-input.js';
import { readJsonBody } from '../api/read-body.js';

/** A calendar day `YYYY-MM-DD` that exists (UTC). */
const day = single<string>((v) => {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00Z`) : null;
  return d && !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v) ? v : new Refusal('must be a date YYYY-MM-DD');
});
const scheduleName = single<string>((v) =>
  /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/.test(v) ? v : new Refusal('must be a schedule name (letters, digits, _ . : -; at most 100)'),
);

const listQuery = query({
  limit: limit(50, 500),
  cursor: single(numericCursor),
  status: single(oneOf(JOB_STATUSES)),
  benchmark: single(undefined, 200),
  from: day,
  to: day,
  schedule: scheduleName,
}).superRefine((q, ctx) => {
  if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: `must not be before from (${q.from})` });
});

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
    const { limit: n, cursor, ...filter } = q;
    return this.jobs.list(n, cursor ?? null, filter);
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
