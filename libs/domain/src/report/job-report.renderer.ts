import type { JobReport } from './job-report.js';

/** Options of {@link renderJobReport}. */
export interface RenderJobReportOptions {
  /** Line width to stay within when possible (labels and names are shortened to fit). Default 120. */
  width?: number;
}

interface Layout {
  abbreviate: boolean;
  /** Longest region name shown in a column header. */
  regionCap: number;
  /** Longest question id shown in the first column. */
  questionCap: number;
  /** Widen a single-region group to fit its model name rather than cut the name. */
  fitModels: boolean;
}

const LAYOUTS: Layout[] = [
  { abbreviate: false, regionCap: 24, questionCap: 32, fitModels: true },
  { abbreviate: true, regionCap: 24, questionCap: 32, fitModels: true },
  { abbreviate: true, regionCap: 8, questionCap: 20, fitModels: false },
  { abbreviate: true, regionCap: 5, questionCap: 12, fitModels: false },
];

const FULL: Record<string, string> = { refused: 'REFUSED' };
const SHORT: Record<string, string> = {
  answered: 'ans',
  refused: 'REF',
  partial: 'part',
  empty: 'empty',
  filtered: 'filt',
  failed: 'FAIL',
  pending: 'pend',
  running: 'run',
  cancelled: 'canc',
  unlabelled: '?',
};
const GROUP_SEP = ' | ';
const COLUMN_SEP = '  ';
const QUESTION_HEADER = 'question';

/**
 * Plain-text result table of a job: one row per question, one column per (model, region) grouped under its
 * model, refusals in capitals; then refusal counts by region and model. Labels are abbreviated and names
 * shortened, in that order, when the table would not fit `width`.
 */
export function renderJobReport(report: JobReport, opts: RenderJobReportOptions = {}): string {
  const width = opts.width ?? 120;
  const tables = LAYOUTS.map((layout) => ({ layout, lines: renderMatrix(report, layout) }));
  const chosen = tables.find((t) => Math.max(...t.lines.map((l) => l.length)) <= width) ?? tables[tables.length - 1];

  const { totals } = report;
  const lines = [
    `Job ${report.jobId}: ${report.status}`,
    '',
    ...chosen.lines,
    '',
    `Cells: ${totals.cells} (${totals.terminal} terminal: ${totals.succeeded} succeeded, ${totals.failed} failed, ${totals.cancelled} cancelled)`,
  ];
  if (chosen.layout.abbreviate) lines.push(`Legend: ${legend(report)}`);
  lines.push('', 'Refusals by region and model', ...renderSummary(report));
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

/** How one report cell reads in the table: "REFUSED", "ans", "REF 2/3", "-" for no cell. */
export function displayOutcome(outcome: string | null, abbreviate: boolean): string {
  if (outcome === null) return '-';
  const [label, ...rest] = outcome.split(' ');
  const shown = abbreviate ? (SHORT[label] ?? label) : (FULL[label] ?? label);
  return [shown, ...rest].join(' ');
}

function renderMatrix(report: JobReport, layout: Layout): string[] {
  const groups = groupColumns(report);
  const body = report.rows.map((row) => row.cells.map((c) => displayOutcome(c, layout.abbreviate)));
  const cellWidths = report.columns.map((_, i) => Math.max(0, ...body.map((cells) => cells[i].length)));
  // Cutting a region name below the width of its column's cells would save nothing.
  const regionNames = report.columns.map((c, i) => cut(c.region, Math.max(layout.regionCap, cellWidths[i])));
  const widths = report.columns.map((_, i) => Math.max(regionNames[i].length, cellWidths[i]));

  for (const group of groups) {
    const span = spanOf(group, widths);
    if (layout.fitModels && group.modelId.length > span) widths[group.end - 1] += group.modelId.length - span;
  }

  const qWidth = Math.max(QUESTION_HEADER.length, ...report.questions.map((q) => Math.min(q.length, layout.questionCap)));
  const line = (first: string, perGroup: (g: Group) => string) =>
    [first.padEnd(qWidth), ...groups.map(perGroup)].join(GROUP_SEP);
  const columnsOf = (g: Group, cell: (i: number) => string) =>
    range(g.start, g.end).map((i) => cell(i).padEnd(widths[i])).join(COLUMN_SEP);

  const header1 = line(QUESTION_HEADER, (g) => cut(g.modelId, spanOf(g, widths)).padEnd(spanOf(g, widths)));
  const header2 = line('', (g) => columnsOf(g, (i) => regionNames[i]));
  const rule = ['-'.repeat(qWidth), ...groups.map((g) => '-'.repeat(spanOf(g, widths)))].join('-+-');
  const rows = report.rows.map((row, r) => line(cut(row.questionId, layout.questionCap), (g) => columnsOf(g, (i) => body[r][i])));
  return [header1, header2, rule, ...rows];
}

function renderSummary(report: JobReport): string[] {
  const headers = ['model', 'region', 'refused', 'partial', 'failed', 'rate'];
  const rows = report.refusalSummary.map((s) => [
    s.modelId,
    s.region,
    `${s.refused}/${s.total}`,
    String(s.partial),
    String(s.failed),
    `${Math.round(s.refusalRate * 100)}%`,
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(headers), ...rows.map(format), '(rate = refused / responses; failed and unfinished cells excluded)'];
}

/** The abbreviations the table uses, spelled out. */
function legend(report: JobReport): string {
  const used = new Set(report.rows.flatMap((r) => r.cells.map((c) => c?.split(' ')[0])));
  return Object.entries(SHORT)
    .filter(([label, short]) => used.has(label) && short !== label)
    .map(([label, short]) => `${short} = ${label}`)
    .join(', ');
}

interface Group {
  modelId: string;
  start: number;
  end: number;
}

function groupColumns(report: JobReport): Group[] {
  const groups: Group[] = [];
  report.columns.forEach((c, i) => {
    const last = groups.at(-1);
    if (last && last.modelId === c.modelId) last.end = i + 1;
    else groups.push({ modelId: c.modelId, start: i, end: i + 1 });
  });
  return groups;
}

function spanOf(g: Group, widths: number[]): number {
  return range(g.start, g.end).reduce((sum, i) => sum + widths[i], 0) + COLUMN_SEP.length * (g.end - g.start - 1);
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}~`;
}
