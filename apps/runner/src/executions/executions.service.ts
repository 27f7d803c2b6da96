import { Inject, Injectable } from '@nestjs/common';
import {
  buildDiff,
  diffSide,
  parseDiffRef,
  type DiffSideView,
  type DiffView,
  type ExecutionDetailView,
  type ExecutionView,
  type Page,
} from '@beacon/domain';
import { DiffRepository, type ExecutionFilter, type ReadRepository } from '@beacon/db';
import { ApiError, badParam } from '../api/api-error.js';
import { READ_REPOSITORY } from '../tokens.js';

/** Execution reads and the diff of two executions or attempts; unknown ones are 404, unreadable references 400. */
@Injectable()
export class ExecutionsService {
  constructor(
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
    private readonly diffs: DiffRepository,
  ) {}

  /** A page of executions in planning order; 404 when the filter names a job that does not exist. */
  async list(filter: ExecutionFilter, limit: number, cursor: string | null): Promise<Page<ExecutionView>> {
    if (filter.jobId && !(await this.read.jobExists(filter.jobId))) {
      throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(filter.jobId)}`);
    }
    return this.read.listExecutions(filter, limit, cursor);
  }

  async get(id: string): Promise<ExecutionDetailView> {
    const execution = await this.read.getExecution(id);
    if (!execution) throw new ApiError(404, 'not_found', `no execution with id ${id}`);
    return execution;
  }

  /** Compares the executions or attempts `a` and `b` name (as the query parameters gave them). */
  async diff(a: string | undefined, b: string | undefined): Promise<DiffView> {
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
