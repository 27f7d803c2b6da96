import { Controller, Get, Param, Query } from '@nestjs/common';
import { decodeTimelineCursor, type TimelineView } from '@beacon/domain';
import { TimelineRepository } from '@beacon/db';
import { ApiError } from './api-error.js';
import type { z } from 'zod';
import { jobIdParam, limit, query, Refusal, single, ValidInput } from './edge-input.js';

const timelineQuery = query({
  cursor: single((v) => decodeTimelineCursor(v) ?? new Refusal('must be the nextCursor of a previous page'), 4096),
  limit: limit(200, 1000), region: single(), model: single(), question: single(),
});

/** `GET /api/v1/jobs/:id/timeline`: a window of lanes (one per cell) with their attempts on the job's time axis. */
@Controller('api/v1/jobs')
export class TimelineController {
  constructor(private readonly timelines: TimelineRepository) {}

  @Get(':id/timeline')
  async timeline(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(timelineQuery)) q: z.output<typeof timelineQuery>,
  ): Promise<TimelineView> {
    const view = await this.timelines.timeline(id, {
      limit: q.limit, cursor: q.cursor ?? null, region: q.region, modelId: q.model, questionId: q.question,
    });
    if (!view) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    return view;
  }
}
