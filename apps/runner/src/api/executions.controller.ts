import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { EXECUTION_STATES, type ExecutionDetailView, type ExecutionView, type Page } from '@beacon/domain';
import type { ReadRepository } from '@beacon/db';
import { READ_REPOSITORY } from '../tokens.js';
import { ApiError } from './api-error.js';
import { parseCursor, parseEnum, parseId, parseLimit } from './params.js';

/** Execution reads: a filtered listing in planning order, and one execution with its attempts. */
@Controller('api/v1/executions')
export class ExecutionsController {
  constructor(@Inject(READ_REPOSITORY) private readonly read: ReadRepository) {}

  @Get()
  async list(
    @Query('job') job?: string,
    @Query('region') region?: string,
    @Query('model') model?: string,
    @Query('question') question?: string,
    @Query('state') state?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<Page<ExecutionView>> {
    const filter = {
      jobId: job || undefined,
      region: region || undefined,
      modelId: model || undefined,
      questionId: question || undefined,
      state: parseEnum('state', state, EXECUTION_STATES),
    };
    const lim = parseLimit(limit, 100, 1000);
    const cur = parseCursor(cursor);
    if (filter.jobId && !(await this.read.jobExists(filter.jobId))) {
      throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(filter.jobId)}`);
    }
    return this.read.listExecutions(filter, lim, cur);
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<ExecutionDetailView> {
    const execution = await this.read.getExecution(parseId('id', id));
    if (!execution) throw new ApiError(404, 'not_found', `no execution with id ${id}`);
    return execution;
  }
}
