import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { majorityOf, MatrixRepository, type MatrixGroup, type MatrixLabel, type ReadRepository } from '@beacon/db';
import type { NormalisedJobSpec } from '@beacon/domain';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { ApiError } from '../api/api-error.js';
import { jobIdParam, limit, query, Refusal, single, ValidInput } from '../api/edge-input.js';
import { READ_REPOSITORY } from '../tokens.js';

/** One (question, model, region) cell of the matrix: its majority label and the counts behind it. */
export interface MatrixCellView extends Omit<MatrixGroup, 'questionId' | 'modelId' | 'region'> {
  label: MatrixLabel | null;
}

/** A page of the questions × (model, region) matrix of a job. */
export interface MatrixPageView {
  jobId: string;
  status: string;
  /** The (model, region) columns, models outer, in spec order. */
  columns: { modelId: string; region: string }[];
  /** Questions in the job (the rows of the whole matrix). */
  total: number;
  offset: number;
  /** The page's rows in spec order; a cell is null where the group has no cell (never planned). */
  rows: { questionId: string; text: string; category: string | null; cells: (MatrixCellView | null)[] }[];
}

const offset = single<number>((v) => (/^\d{1,7}$/.test(v) ? Number(v) : new Refusal('must be an integer from 0 to 9999999'))).transform(
  (n) => n ?? 0,
);
const matrixQuery = query({ offset, limit: limit(200, 1000) });

/**
 * `GET /api/v1/jobs/:id/matrix?offset=&limit=`: the job's matrix aggregated in the database, `limit` questions from
 * `offset` (in spec order), so that a browser reads only the rows it shows, whatever the size of the job.
 */
@Controller('api/v1/jobs')
export class MatrixController {
  private readonly matrix: MatrixRepository;

  constructor(
    ds: DataSource,
    @Inject(READ_REPOSITORY) private readonly read: ReadRepository,
  ) {
    this.matrix = new MatrixRepository(ds);
  }

  @Get(':id/matrix')
  async get(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(matrixQuery)) q: z.output<typeof matrixQuery>,
  ): Promise<MatrixPageView> {
    const job = await this.read.getJob(id);
    if (!job) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    const spec = job.spec as NormalisedJobSpec;
    const columns = spec.models.flatMap((m) => spec.regions.map((r) => ({ modelId: m.id, region: r.id })));
    const questions = spec.questions.slice(q.offset, q.offset + q.limit);
    const groups = await this.matrix.groups(
      id,
      questions.map((question) => question.id),
    );
    const byKey = new Map(groups.map((g) => [`${g.questionId}\u0000${g.modelId}\u0000${g.region}`, g]));
    return {
      jobId: id,
      status: job.status,
      columns,
      total: spec.questions.length,
      offset: q.offset,
      rows: questions.map((question) => ({
        questionId: question.id,
        text: question.text,
        category: question.category,
        cells: columns.map((c) => {
          const g = byKey.get(`${question.id}\u0000${c.modelId}\u0000${c.region}`);
          if (!g) return null;
          const { questionId: _q, modelId: _m, region: _r, ...counts } = g;
          return { ...counts, label: majorityOf(g.labels) };
        }),
      })),
    };
  }
}
