import { Controller, Get, Param } from '@nestjs/common';
import { AnalyseJobService, type JobAnalysis } from '@beacon/analysis';
import { ApiError } from './api-error.js';
import { jobIdParam, ValidInput } from './edge-input.js';

/** `GET /api/v1/jobs/:id/analysis`: the job's cross-region analysis (refusal patterns, divergence, data quality). */
@Controller('api/v1/jobs')
export class AnalysisController {
  constructor(private readonly analyse: AnalyseJobService) {}

  @Get(':id/analysis')
  async get(@Param('id', new ValidInput(jobIdParam)) id: string): Promise<JobAnalysis> {
    const analysis = await this.analyse.execute(id);
    if (!analysis) throw new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    return analysis;
  }
}
