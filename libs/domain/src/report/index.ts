export { type JobReport, type JobReportInput, type RefusalSummaryRow, type ReportCell, buildJobReport, cellOutcome } from './job-report.js';
export { type RenderJobReportOptions, displayOutcome, renderJobReport } from './job-report.renderer.js';
