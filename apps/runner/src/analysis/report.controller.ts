import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { renderReport, REPORT_FORMATS, REPORT_MEDIA_TYPES, type JobAnalysis, type ReportFormat } from '@beacon/analysis';
import type { Response } from 'express';
import type { z } from 'zod';
import { jobIdParam, oneOf, query, single, ValidInput } from '../api/edge-input.js';
import { Ungated } from '../api/read-gate.js';
import { AnalysisService } from './analysis.service.js';

const reportQuery = query({ format: single(oneOf(REPORT_FORMATS)) });

/**
 * `GET /api/v1/jobs/:id/report?format=md|json|csv|html`: the job's analysis rendered exactly as `beacon report`
 * renders it, as a download (the viewer's download links). Same 503s as the analysis while it is being computed.
 */
@Ungated()
@Controller('api/v1/jobs')
export class ReportController {
  constructor(private readonly analysis: AnalysisService) {}

  @Get(':id/report')
  async get(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(reportQuery)) q: z.output<typeof reportQuery>,
    @Res() res: Response,
  ): Promise<void> {
    const format = (q.format ?? 'md') as ReportFormat;
    const answer = await this.analysis.get(id);
    const body = renderReport(JSON.parse(answer.json.toString('utf8')) as JobAnalysis, format, 10);
    const file = `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.${format}`;
    res.status(200).setHeader('content-type', REPORT_MEDIA_TYPES[format]);
    // An attachment, never a page of this origin: the HTML report holds stored answers.
    res.setHeader('content-disposition', `attachment; filename="${file}"`);
    res.setHeader('x-content-type-options', 'nosniff');
    res.end(body);
  }
}
