import type { ExecutionView, FindingView, JobDetailView, NormalisedJobSpec } from '@beacon/domain';
import type { JobAnalysis } from './analysis.types.js';
import { analyseJob } from './job-analysis.js';

/** Where the analysis reads jobs and cells (the database's read repository satisfies it). */
export interface AnalysisJobSource {
  getJob(id: string): Promise<JobDetailView | null>;
  listExecutions(
    filter: { jobId: string },
    limit: number,
    cursor: string | null,
  ): Promise<{ items: ExecutionView[]; nextCursor: string | null }>;
}

/** Where the analysis reads a job's open findings (the reconciler's findings repository satisfies it). */
export interface AnalysisFindingSource {
  list(
    filter: { jobId: string; state: 'open' },
    limit: number,
    cursor: string | null,
  ): Promise<{ items: FindingView[]; nextCursor: string | null }>;
}

const PAGE = 1000;

/** Loads a job, its cells and its open findings, and analyses it across regions. */
export class AnalyseJobService {
  constructor(
    private readonly jobs: AnalysisJobSource,
    private readonly findings: AnalysisFindingSource,
  ) {}

  /** The analysis, or null when there is no such job. */
  async execute(jobId: string, opts: { now?: Date } = {}): Promise<JobAnalysis | null> {
    const job = await this.jobs.getJob(jobId);
    if (!job) return null;
    const cells: ExecutionView[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: ExecutionView[]; nextCursor: string | null } = await this.jobs.listExecutions({ jobId }, PAGE, cursor);
      cells.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const findings: FindingView[] = [];
    cursor = null;
    do {
      const page: { items: FindingView[]; nextCursor: string | null } = await this.findings.list({ jobId, state: 'open' }, PAGE, cursor);
      findings.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return analyseJob({ ...axesOf(job), cells, findings, now: opts.now });
  }
}

/** The job's axes as its normalised spec lists them. */
export function axesOf(job: JobDetailView) {
  const spec = job.spec as Partial<NormalisedJobSpec>;
  return {
    jobId: job.id,
    status: job.status,
    benchmark: job.benchmark,
    questions: (spec.questions ?? []).map((q) => ({ id: q.id, text: q.text ?? null, category: q.category ?? null })),
    models: (spec.models ?? []).map((m) => m.id),
    regions: (spec.regions ?? []).map((r) => r.id),
    repeats: spec.repeats ?? 1,
    ...(spec.variants ? { variants: spec.variants.map((v) => v.id) } : {}),
    cellsExpected: job.cells.expected,
  };
}
