import { variantLabel } from '../variant/cell-variant.js';
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

/** Layouts to try, widest first; the narrowest is used when none of them fits. */
const WIDER_LAYOUTS: Layout[] = [
  { abbreviate: false, regionCap: 24, questionCap: 32, fitModels: true },
  { abbreviate: true, regionCap: 24, questionCap: 32, fitModels: true },
  { abbreviate: true, regionCap: 8, questionCap: 20, fitModels: false },
];
const NARROWEST_LAYOUT: Layout = { abbreviate: true, regionCap: 5, questionCap: 12, fitModels: false };

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
  const chosen = chooseTable(report, width);

  const { totals } = report;
  const lines = [
    `Job ${report.jobId}: ${report.status}`,
    '',
    ...chosen.lines,
    '',
    `Cells: ${totals.cells} (${totals.terminal} terminal: ${totals.succeeded} succeeded, ${totals.failed} failed, ${totals.cancelled} cancelled)`,
  ];
  if (chosen.layout.abbreviate) lines.push(`Legend: ${legend(report)}`);
  lines.push('', report.variants ? 'Refusals by variant, region and model' : 'Refusals by region and model', ...renderSummary(report));
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

/** The table in the first layout that fits `width`, else in the narrowest. */
function chooseTable(report: JobReport, width: number): { layout: Layout; lines: string[] } {
  for (const layout of WIDER_LAYOUTS) {
    const lines = renderMatrix(report, layout);
    if (Math.max(...lines.map((l) => l.length)) <= width) return { layout, lines };
  }
  return { layout: NARROWEST_LAYOUT, lines: renderMatrix(report, NARROWEST_LAYOUT) };
}

/** How one report cell reads in the table: "REFUSED", "ans", "REF 2/3", "-" for no cell. */
export function displayOutcome(outcome: string | null, abbreviate: boolean): string {
  if (outcome === null) return '-';
  const [label = '', ...rest] = outcome.split(' ');
  const shown = abbreviate ? (SHORT[label] ?? label) : (FULL[label] ?? label);
  return [shown, ...rest].join(' ');
}

function renderMatrix(report: JobReport, layout: Layout): string[] {
  const body = report.rows.map((row) => ({
    questionId: row.variant === undefined ? row.questionId : `${row.questionId} [${variantLabel(row.variant)}]`,
    cells: row.cells.map((c) => displayOutcome(c, layout.abbreviate)),
  }));
  const columns = report.columns.map((c, index): Column => {
    const cellWidth = Math.max(0, ...body.map((row) => cellOf(row.cells, index).length));
    // Cutting a region name below the width of its column's cells would save nothing.
    const region = cut(c.region, Math.max(layout.regionCap, cellWidth));
    return { modelId: c.modelId, index, region, width: Math.max(region.length, cellWidth) };
  });
  const groups = groupColumns(columns);

  for (const group of groups) {
    const span = spanOf(group);
    const last = group.columns.at(-1);
    if (last && layout.fitModels && group.modelId.length > span) last.width += group.modelId.length - span;
  }

  const questionCap = report.variants
    ? layout.questionCap + Math.max(...report.variants.map((v) => variantLabel(v).length + 3))
    : layout.questionCap;
  const qWidth = Math.max(QUESTION_HEADER.length, ...body.map((row) => Math.min(row.questionId.length, questionCap)));
  const line = (first: string, perGroup: (g: Group) => string) => [first.padEnd(qWidth), ...groups.map(perGroup)].join(GROUP_SEP);
  const columnsOf = (g: Group, cell: (c: Column) => string) => g.columns.map((c) => cell(c).padEnd(c.width)).join(COLUMN_SEP);

  const header1 = line(QUESTION_HEADER, (g) => cut(g.modelId, spanOf(g)).padEnd(spanOf(g)));
  const header2 = line('', (g) => columnsOf(g, (c) => c.region));
  const rule = ['-'.repeat(qWidth), ...groups.map((g) => '-'.repeat(spanOf(g)))].join('-+-');
  const rows = body.map((row) => line(cut(row.questionId, questionCap), (g) => columnsOf(g, (c) => cellOf(row.cells, c.index))));
  return [header1, header2, rule, ...rows];
}

/** The shown outcome of a row in column `index`; every row has one cell per column. */
function cellOf(cells: readonly string[], index: number): string {
  const cell = cells[index];
  if (cell === undefined) throw new Error(`job report row has ${cells.length} cells, none for column ${index}`);
  return cell;
}

function renderSummary(report: JobReport): string[] {
  const byVariant = report.variants !== undefined;
  const headers = [...(byVariant ? ['variant'] : []), 'model', 'region', 'refused', 'partial', 'failed', 'rate'];
  const left = byVariant ? 3 : 2;
  const rows = report.refusalSummary.map((s) => [
    ...(byVariant ? [variantLabel(s.variant ?? '')] : []),
    s.modelId,
    s.region,
    `${s.refused}/${s.total}`,
    String(s.partial),
    String(s.failed),
    `${Math.round(s.refusalRate * 100)}%`,
  ]);
  // Each row has a cell under every header, so the `?? 0` fallbacks never apply.
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const format = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
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

/** One (model, region) column of the table as laid out: `index` into the report's columns and each row's cells. */
interface Column {
  modelId: string;
  index: number;
  /** The region name as shown, maybe cut. */
  region: string;
  width: number;
}

/** Consecutive columns of one model, under one header. */
interface Group {
  modelId: string;
  columns: Column[];
}

function groupColumns(columns: Column[]): Group[] {
  const groups: Group[] = [];
  for (const c of columns) {
    const last = groups.at(-1);
    if (last && last.modelId === c.modelId) last.columns.push(c);
    else groups.push({ modelId: c.modelId, columns: [c] });
  }
  return groups;
}

function spanOf(g: Group): number {
  return g.columns.reduce((sum, c) => sum + c.width, 0) + COLUMN_SEP.length * (g.columns.length - 1);
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}~`;
}
