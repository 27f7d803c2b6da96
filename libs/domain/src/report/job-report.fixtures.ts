import type { JobReportInput, ReportCell } from './job-report.js';

/** A report cell for tests: succeeded on its first attempt unless `patch` says otherwise. */
export const reportCell = (
  questionId: string,
  modelId: string,
  region: string,
  label: string | null,
  patch: Partial<ReportCell> = {},
): ReportCell => ({
  questionId,
  modelId,
  region,
  replicate: 0,
  state: 'succeeded',
  label,
  attempts: 1,
  ...patch,
});

/** 2 questions × 2 models × 2 regions; one failed cell. */
export const SMALL_JOB: JobReportInput = {
  jobId: 'job-small',
  status: 'partially_completed',
  questionOrder: ['taiwan_status', 'math_2_plus_2'],
  modelOrder: ['mistral-7b', 'qwen2.5-7b'],
  regionOrder: ['us-east', 'asia-pacific'],
  cells: [
    reportCell('taiwan_status', 'mistral-7b', 'us-east', 'answered'),
    reportCell('taiwan_status', 'mistral-7b', 'asia-pacific', 'partial'),
    reportCell('taiwan_status', 'qwen2.5-7b', 'us-east', 'answered'),
    reportCell('taiwan_status', 'qwen2.5-7b', 'asia-pacific', 'refused'),
    reportCell('math_2_plus_2', 'mistral-7b', 'us-east', 'answered'),
    reportCell('math_2_plus_2', 'mistral-7b', 'asia-pacific', null, { state: 'failed', attempts: 4 }),
    reportCell('math_2_plus_2', 'qwen2.5-7b', 'us-east', 'answered'),
    reportCell('math_2_plus_2', 'qwen2.5-7b', 'asia-pacific', 'refused'),
  ],
};
