import { Inject, Injectable } from '@nestjs/common';
import { type BeaconConfig, normaliseJobSpec, type SubmitView } from '@beacon/domain';
import type { JobRepository } from '@beacon/db';
import { ApiError } from '../api/api-error.js';
import { BEACON_CONFIG, JOB_REPOSITORY } from '../tokens.js';

/** What a submission returns: the HTTP status and the body. */
export interface SubmitResult {
  status: 200 | 201;
  body: SubmitView;
}

/** Validates a received spec, then stores the job and plans its cells in one transaction (or finds it already stored). */
@Injectable()
export class SubmitJobService {
  constructor(
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
    @Inject(JOB_REPOSITORY) private readonly jobs: JobRepository,
  ) {}

  async execute(received: string, value: unknown, submitter: string | null, traceparent: string | null): Promise<SubmitResult> {
    const result = normaliseJobSpec(value, this.config);
    if (!result.ok) {
      const n = result.problems.length;
      throw new ApiError(400, 'invalid_spec', `job spec rejected: ${n} problem${n === 1 ? '' : 's'}`, result.problems);
    }
    const outcome = await this.jobs.submit({ spec: result.spec, received, hash: result.hash, submitter, traceparent });
    switch (outcome.kind) {
      case 'created':
        return { status: 201, body: { id: outcome.jobId, cells: outcome.cells, status: 'queued', created: true } };
      case 'existing':
        return { status: 200, body: { id: outcome.jobId, cells: outcome.cells, status: outcome.status, created: false } };
      case 'conflict':
        throw new ApiError(409, 'job_conflict',
          `job ${outcome.jobId} already exists with different content; submit it under another id`,
          [{ path: '$.id', message: `job ${outcome.jobId} already exists with different content` }]);
    }
  }
}
