import { redactSecrets } from '@beacon/domain';
import type { JobAnalysis } from '../analysis.types.js';
import { renderCsv } from './csv.renderer.js';
import { renderHtml } from './html.renderer.js';
import { renderMarkdown } from './markdown.renderer.js';

/** The formats a report is rendered in (`beacon report --format`, the viewer's downloads). */
export const REPORT_FORMATS = ['md', 'json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The media type of each format, for a download. */
export const REPORT_MEDIA_TYPES: Readonly<Record<ReportFormat, string>> = {
  md: 'text/markdown; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** The analysis rendered in one format, with every known secret hidden (a report quotes stored answers). */
export function renderReport(a: JobAnalysis, format: ReportFormat, top: number): string {
  return redactSecrets(renderUnredacted(a, format, top));
}

function renderUnredacted(a: JobAnalysis, format: ReportFormat, top: number): string {
  switch (format) {
    case 'md':
      return renderMarkdown(a, { top });
    case 'csv':
      return renderCsv(a);
    case 'html':
      return renderHtml(a, { top });
    case 'json':
      return JSON.stringify(a, null, 2) + '\n';
  }
}
