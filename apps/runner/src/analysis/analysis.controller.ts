import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AnalysisService } from './analysis.service.js';
import { alreadyRedacted } from '../api/redact-answers.middleware.js';
import { jobIdParam, noQuery, ValidInput } from '../api/edge-input.js';
import { Ungated } from '../api/read-gate.js';

/**
 * `GET /api/v1/jobs/:id/analysis`: the job's cross-region analysis (refusal patterns, divergence, data quality), as
 * computed in a worker thread and cached per job version; the JSON bytes are sent as the worker wrote them, so not even
 * the serialisation of a large analysis runs on the event loop. 503 with Retry-After while it is being computed
 * (`analysis_pending`) or when too many are (`analysis_busy`); `X-Beacon-Analysis-Cache` says hit, shared or computed, `Server-Timing` where the time went.
 */
@Ungated()
@Controller('api/v1/jobs')
export class AnalysisController {
  constructor(private readonly analysis: AnalysisService) {}

  @Get(':id/analysis')
  async get(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const answer = await this.analysis.get(id);
    res.status(200).setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('x-beacon-analysis-cache', answer.cache);
    const phases = Object.entries(answer.timing).map(([name, ms]) => `analysis-${name};dur=${ms.toFixed(1)}`);
    res.setHeader('server-timing', phases.join(', '));
    // Redacted by the worker before it was cached: the answer middleware need not scan megabytes again here.
    alreadyRedacted(res);
    res.end(answer.json);
  }
}
