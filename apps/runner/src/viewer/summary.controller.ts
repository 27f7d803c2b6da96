import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { CONTROL_CATEGORY, wilson } from '@beacon/analysis';
import { AnalysisReadRepository, JobSummaryRepository, type ReadRepository } from '@beacon/db';
import { LRUCache } from 'lru-cache';
import type { JobResultsSummaryView, NormalisedJobSpec } from '@beacon/domain';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { ApiError } from '../api/api-error.js';
import { jobIdParam, limit, query, Refusal, single, ValidInput } from '../api/edge-input.js';
import { READ_REPOSITORY } from '../tokens.js';

/** The first view of a job's results: small, whatever the size of the job. */
export type JobSummaryAnswer = JobResultsSummaryView;

const offset = single<number>((v) => (/^\d{1,7}$/.test(v) ? Number(v) : new Refusal('must be an integer from 0 to 9999999'))).transform(
  (n) => n ?? 0,
);
const summaryQuery = query({ offset, limit: limit(50, 500) });

/**
 * `GET /api/v1/jobs/:id/summary?offset=&limit=`: refusal rates per (model, region) with their intervals, the label
 * divergence of `limit` (question, model) pairs from `offset` against the control noise floor, and the open findings,
 * aggregated by Postgres so the answer is a few kilobytes for any job. The full analysis (text divergence with
 * bootstrap bands) stays at `/analysis` and in the reports.
 */
@Controller('api/v1/jobs')
export class SummaryController {
  private readonly summaries: JobSummaryRepository;
  private readonly versions: AnalysisReadRepository;
  /**
   * Answers by job version (status, last change, labels and findings: what the analysis is cached by) and page: a
   * finished job is aggregated once per page however many people open it.
   */
  private readonly cache = new LRUCache<string, JobSummaryAnswer>({ max: 256 });

  constructor(
    ds: DataSource,
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
  ) {
    this.summaries = new JobSummaryRepository(ds);
    this.versions = new AnalysisReadRepository(ds);
  }

  @Get(':id/summary')
  async get(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(summaryQuery)) q: z.output<typeof summaryQuery>,
  ): Promise<JobSummaryAnswer> {
    const version = await this.versions.version(id);
    if (version === null) throw notFound(id);
    const key = JSON.stringify([id, version, q.offset, q.limit]);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const answer = await this.compute(id, q);
    if (answer.status !== 'queued' && answer.status !== 'running') this.cache.set(key, answer);
    return answer;
  }

  private async compute(id: string, q: z.output<typeof summaryQuery>): Promise<JobSummaryAnswer> {
    const job = await this.read.getJob(id);
    if (!job) throw notFound(id);
    const spec = job.spec as NormalisedJobSpec;
    const controls = spec.questions.filter((x) => (x.category ?? '').toLowerCase() === CONTROL_CATEGORY).map((x) => x.id);
    const [counts, divergence, findings] = await Promise.all([
      this.summaries.refusals(id),
      this.summaries.divergence(id, controls, q.limit, q.offset),
      this.summaries.openFindings(id),
    ]);
    const rank = (list: string[], v: string) => {
      const i = list.indexOf(v);
      return i < 0 ? list.length : i;
    };
    const models = spec.models.map((m) => m.id);
    const regions = spec.regions.map((r) => r.id);
    counts.sort(
      (a, b) =>
        rank(models, a.modelId) - rank(models, b.modelId) ||
        a.modelId.localeCompare(b.modelId) ||
        rank(regions, a.region) - rank(regions, b.region) ||
        a.region.localeCompare(b.region),
    );
    return {
      jobId: id,
      status: job.status,
      refusals: counts.map((c) => ({
        modelId: c.modelId,
        region: c.region,
        cells: c.cells,
        responses: c.responses,
        refusal: wilson(c.refused, c.responses),
        refusalOrPartial: wilson(c.refused + c.partial, c.responses),
      })),
      divergence: { ...divergence, offset: q.offset, limit: q.limit },
      findings,
    };
  }
}

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
}
