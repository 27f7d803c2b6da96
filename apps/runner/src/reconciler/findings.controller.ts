import { Controller, Get, Query } from '@nestjs/common';
import { FINDING_STATES, FindingsRepository, SEVERITIES, type FindingView, type Severity } from '@beacon/reconciler';
import type { z } from 'zod';
import { limit, numericCursor, oneOf, query, single, ValidInput } from '../api/edge-input.js';

const listQuery = query({
  job: single(),
  rule: single(),
  severity: single(oneOf(SEVERITIES)),
  state: single(oneOf(FINDING_STATES)),
  limit: limit(100, 1000),
  cursor: single(numericCursor),
});

/** Reconciler findings, newest first: open by default, or resolved, or all. */
@Controller('api/v1/findings')
export class FindingsController {
  constructor(private readonly findings: FindingsRepository) {}

  @Get()
  async list(
    @Query(new ValidInput(listQuery)) q: z.output<typeof listQuery>,
  ): Promise<{ items: FindingView[]; nextCursor: string | null }> {
    return this.findings.list(
      {
        jobId: q.job,
        ruleId: q.rule,
        severity: q.severity as Severity | undefined,
        state: (q.state ?? 'open') as 'open' | 'resolved' | 'all',
      },
      q.limit,
      q.cursor ?? null,
    );
  }
}
