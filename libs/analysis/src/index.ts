export * from './analysis.types.js';
export * from './text-similarity.js';
export * from './divergence.js';
export * from './rates.js';
export * from './data-quality.js';
export * from './job-analysis.js';
export * from './analyse-job.service.js';
export * from './compare-runs.js';
export * from './drift/index.js';
export { renderCsv } from './render/csv.renderer.js';
export { renderMarkdown, type RenderOptions } from './render/markdown.renderer.js';
export { renderHtml } from './render/html.renderer.js';
export { renderReport, REPORT_FORMATS, REPORT_MEDIA_TYPES, type ReportFormat } from './render/report.js';
export { refusalHeatmap, questionChart, categoryHeatmap, heatColour } from './render/svg-charts.js';
export { escapeHtml } from './render/format.js';
export * from './worker/analysis-worker.protocol.js';
export { AnalysisWorkerError, AnalysisWorkerRun, type AnalysisWorkerLimits } from './worker/analysis-worker.client.js';
export {
  assembleTrendSeries,
  assembleTrendSeriesAsync,
  type TrendPointRecord,
  type TrendRunRecord,
  type TrendSeriesSource,
} from './trend/trend-series.js';
