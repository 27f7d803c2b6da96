import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { BeaconConfig, JobDetailView, JobSummaryView, Page } from '@beacon/domain';
import type { ReadRepository } from '@beacon/db';
import type { Request, Response } from 'express';
import { SubmitJobService } from '../jobs/submit-job.service.js';
import { BEACON_CONFIG, READ_REPOSITORY } from '../tokens.js';
import { ApiError } from './api-error.js';
import { parseCursor, parseLimit } from './params.js';
import { readJsonBody } from './read-body.js';

/** Job submission and job reads. */
@Controller('api/v1/jobs')
export class JobsController {
  constructor(
    private readonly submit: SubmitJobService,
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  @Post()
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = await readJsonBody(req, this.config.limits.maxBodyBytes);
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : null;
    const result = await this.submit.execute(body.text, body.value, null, traceparent);
    res.status(result.status).location(`/api/v1/jobs/${encodeURIComponent(result.body.id)}`).json(result.body);
  }

  @Get()
  list(@Query('limit') limit?: string, @Query('cursor') cursor?: string): Promise<Page<JobSummaryView>> {
    return this.read.listJobs(parseLimit(limit, 50, 500), parseCursor(cursor));
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<JobDetailView> {
    const job = await this.read.getJob(id);
    if (!job) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    return job;
  }
}
