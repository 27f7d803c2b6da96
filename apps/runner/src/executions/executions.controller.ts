import { Controller, Get, Param, Query } from '@nestjs/common';
import { EXECUTION_STATES, parseVariantId, type ExecutionDetailView, type ExecutionView, type Page } from '@beacon/domain';
import type { z } from 'zod';
import { bigintIdParam, limit, numericCursor, oneOf, query, Refusal, single, ValidInput } from '../api/edge-input.js';

/** A variant id (`lang=zh-Hans;prompt=native`), or `default` for the default variant (stored as `''`). */
function variantParam(raw: string): string | Refusal {
  if (raw === 'default') return '';
  return parseVariantId(raw)
    ? raw
    : new Refusal('must be a variant id such as lang=zh-Hans, prompt=native or lang=zh-Hans;prompt=native, or default');
}
import { ExecutionsService } from './executions.service.js';

const listQuery = query({
  job: single(),
  region: single(),
  model: single(),
  question: single(),
  variant: single(variantParam),
  state: single(oneOf(EXECUTION_STATES)),
  neverRun: single(oneOf(['true', 'false'])),
  limit: limit(100, 1000),
  cursor: single(numericCursor),
});

/** Execution reads: a filtered listing in planning order, and one execution with its attempts. */
@Controller('api/v1/executions')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Get()
  list(@Query(new ValidInput(listQuery)) q: z.output<typeof listQuery>): Promise<Page<ExecutionView>> {
    const filter = {
      jobId: q.job,
      region: q.region,
      modelId: q.model,
      questionId: q.question,
      variant: q.variant,
      state: q.state,
      neverRun: q.neverRun === 'true',
    };
    return this.executions.list(filter, q.limit, q.cursor ?? null);
  }

  @Get(':id')
  get(@Param('id', new ValidInput(bigintIdParam)) id: string): Promise<ExecutionDetailView> {
    return this.executions.get(id);
  }
}
