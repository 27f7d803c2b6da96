import { Controller, Get, Param, Query } from '@nestjs/common';
import { decodeTimelineCursor, type TimelineView } from '@beacon/domain';
import { TimelineRepository } from '@beacon/db';
import { ApiError, badParam } from './api-error.js';
import { parseLimit } from './params.js';

/** `GET /api/v1/jobs/:id/timeline`: a window of lanes (one per cell) with their attempts on the job's time axis. */
@Controller('api/v1/jobs')
export class TimelineController {
  constructor(private readonly timelines: TimelineRepository) {}

  @Get(':id/timeline')
  async timeline(
    @Param('id') id: string,
    @Query('cursor') cursor?: string,
    @Query('limit') limit?: string,
    @Query('region') region?: string,
    @Query('model') model?: string,
    @Query('question') question?: string,
  ): Promise<TimelineView> {
    const key = cursor ? decodeTimelineCursor(cursor) : null;
    if (cursor && !key) throw badParam('cursor', 'must be the nextCursor of a previous page');
    const view = await this.timelines.timeline(id, {
      limit: parseLimit(limit, 200, 1000), cursor: key, region: region || undefined, modelId: model || undefined, questionId: question || undefined,
    });
    if (!view) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    return view;
  }
}
