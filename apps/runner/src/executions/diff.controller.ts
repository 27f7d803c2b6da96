import { Controller, Get, Query } from '@nestjs/common';
import type { DiffView } from '@beacon/domain';
import type { z } from 'zod';
import { query, single, ValidInput } from '../api/edge-input.js';
import { ExecutionsService } from './executions.service.js';

const diffQuery = query({ a: single(), b: single() });

/**
 * `GET /api/v1/diff?a=&b=`: two executions or attempts compared field by field (system prompt, user prompt,
 * parameters, response, classification) with word-level changes.
 */
@Controller('api/v1/diff')
export class DiffController {
  constructor(private readonly executions: ExecutionsService) {}

  @Get()
  diff(@Query(new ValidInput(diffQuery)) q: z.output<typeof diffQuery>): Promise<DiffView> {
    return this.executions.diff(q.a, q.b);
  }
}
