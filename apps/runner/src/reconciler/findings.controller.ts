import { Controller, Get, Query } from '@nestjs/common';
import { FINDING_STATES, FindingsRepository, SEVERITIES, type FindingView, type Severity } from '@beacon/reconciler';
import { parseCursor, parseEnum, parseLimit } from '../api/params.js';

/** Reconciler findings, newest first: open by default, or resolved, or all. */
@Controller('api/v1/findings')
export class FindingsController {
  constructor(private readonly findings: FindingsRepository) {}

  @Get()
  async list(
    @Query('job') job?: string,
    @Query('rule') rule?: string,
    @Query('severity') severity?: string,
    @Query('state') state?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<{ items: FindingView[]; nextCursor: string | null }> {
    return this.findings.list({
      jobId: job || undefined,
      ruleId: rule || undefined,
      severity: parseEnum('severity', severity, SEVERITIES) as Severity | undefined,
      state: (parseEnum('state', state, FINDING_STATES) ?? 'open') as 'open' | 'resolved' | 'all',
    }, parseLimit(limit, 100, 1000), parseCursor(cursor));
  }
}
