import { Controller, Get, Query } from '@nestjs/common';
import { buildDiff, diffSide, parseDiffRef, type DiffSideView, type DiffView } from '@beacon/domain';
import { classifyResponse } from '@beacon/classifier';
import { DiffRepository } from '@beacon/db';
import type { z } from 'zod';
import { ApiError, badParam } from './api-error.js';
import { query, single, ValidInput } from './edge-input.js';

const diffQuery = query({ a: single(), b: single() });

/**
 * `GET /api/v1/diff?a=&b=`: two executions or attempts compared field by field (system prompt, user prompt,
 * parameters, response, classification) with word-level changes.
 */
@Controller('api/v1/diff')
export class DiffController {
  constructor(private readonly diffs: DiffRepository) {}

  @Get()
  async diff(@Query(new ValidInput(diffQuery)) q: z.output<typeof diffQuery>): Promise<DiffView> {
    const [sa, sb] = [await this.side('a', q.a), await this.side('b', q.b)];
    return buildDiff(sa, sb);
  }

  private async side(param: 'a' | 'b', raw: string | undefined): Promise<DiffSideView> {
    const ref = parseDiffRef(typeof raw === 'string' ? raw : undefined);
    if (typeof ref === 'string') throw badParam(param, ref);
    const found = await this.diffs.side(ref);
    if (found.kind === 'ambiguous') {
      throw badParam(param, `legacy id ${ref.id} matches ${found.count} imported executions; name one as e:<execution id>`);
    }
    if (found.kind === 'not_found') {
      const what = ref.kind === 'attempt' ? 'attempt' : ref.kind === 'legacy' ? 'imported execution with legacy id' : 'execution';
      throw new ApiError(404, 'not_found', `${param}: no ${what} ${ref.id}`);
    }
    return diffSide(raw!.trim(), ref, found.row, (response) => classifyResponse(response).label);
  }
}
