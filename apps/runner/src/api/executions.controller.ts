import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { EXECUTION_STATES, type ExecutionDetailView, type ExecutionView, type Page } from '@beacon/domain';
import type { ReadRepository } from '@beacon/db';
import type { z } from 'zod';
import { READ_REPOSITORY } from '../tokens.js';
import { ApiError } from './api-error.js';
import { bigintIdParam, limit, numericCursor, oneOf, query, single, ValidInput } from './edge-input.js';

const listQuery = query({
  job: single(), region: single(), model: single(), question: single(), state: single(oneOf(EXECUTION_STATES)),
  limit: limit(100, 1000), cursor: single(numericCursor),
});

/** Execution reads: a filtered listing in planning order, and one execution with its attempts. */
@Controller('api/v1/executions')
export class ExecutionsController {
  constructor(@Inject(READ_REPOSITORY) private readonly read: ReadRepository) {}

  @Get()
  async list(@Query(new ValidInput(listQuery)) q: z.output<typeof listQuery>): Promise<Page<ExecutionView>> {
    const filter = { jobId: q.job, region: q.region, modelId: q.model, questionId: q.question, state: q.state };
    const [lim, cur] = [q.limit, q.cursor ?? null];
    if (filter.jobId && !(await this.read.jobExists(filter.jobId))) {
      throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(filter.jobId)}`);
    }
    return this.read.listExecutions(filter, lim, cur);
  }

  @Get(':id')
  async get(@Param('id', new ValidInput(bigintIdParam)) id: string): Promise<ExecutionDetailView> {
    const execution = await this.read.getExecution(id);
    if (!execution) throw new ApiError(404, 'not_found', `no execution with id ${id}`);
    return execution;
  }
}
