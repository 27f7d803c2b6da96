import { Controller, Get, Param, Query } from '@nestjs/common';
import { decodeTimelineCursor, type TimelineView } from '@beacon/domain';
import type { z } from 'zod';
import { jobIdParam, limit, query, Refusal, single, ValidInput } from '../api/edge-input.js';
import { JobsService } from './jobs.service.js';

const timelineQuery = query({
  cursor: single((v) => decodeTimelineCursor(v) ?? new Refusal('must be the nextCursor of a previous page'), 4096),
  limit: limit(200, 1000),
  region: single(),
  model: single(),
  question: single(),
});

/** `GET /api/v1/jobs/:id/timeline`: a window of lanes (one per cell) with their attempts on the job's time axis. */
@Controller('api/v1/jobs')
export class TimelineController {
  constructor(private readonly jobs: JobsService) {}

  @Get(':id/timeline')
  timeline(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(timelineQuery)) q: z.output<typeof timelineQuery>,
  ): Promise<TimelineView> {
    return this.jobs.timeline(id, { limit: q.limit, cursor: q.cursor ?? null, region: q.region, modelId: q.model, questionId: q.question });
  }
}
