import { Controller, Get, Query } from '@nestjs/common';
import { buildDiff, diffSide, parseDiffRef, type DiffSideView, type DiffView } from '@beacon/domain';
import { DiffRepository } from '@beacon/db';
import { ApiError, badParam } from './api-error.js';

/**
 * `GET /api/v1/diff?a=&b=`: two executions or attempts compared field by field (system prompt, user prompt,
 * parameters, response, classification) with word-level changes.
 */
@Controller('api/v1/diff')
export class DiffController {
  constructor(private readonly diffs: DiffRepository) {}

  @Get()
  async diff(@Query('a') a?: string, @Query('b') b?: string): Promise<DiffView> {
    const [sa, sb] = [await this.side('a', a), await this.side('b', b)];
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
    return diffSide(raw!.trim(), ref, found.row);
  }
}
