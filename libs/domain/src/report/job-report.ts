/** One cell of a job as the report needs it. `label` is the classifier's label of a succeeded cell. */
export interface ReportCell {
  questionId: string;
  modelId: string;
  region: string;
  /** The cell's variant; left out or `''` for the default. */
  variant?: string;
  replicate: number;
  state: string;
  label: string | null;
  attempts: number;
}

/** Refusal counts of one (model, region) column over every question and replicate. */
export interface RefusalSummaryRow {
  modelId: string;
  region: string;
  /** The variant counted; present when the job has variants (rows then come variant by variant). */
  variant?: string;
  /** Cells in the column, whatever their state. */
  total: number;
  refused: number;
  partial: number;
  answered: number;
  empty: number;
  /** Blocked by the provider (content filter, refusal field): not the model's refusal. */
  filtered: number;
  failed: number;
  /** refused / responses, where responses are succeeded cells with a label; 0 when there are none. */
  refusalRate: number;
}

/** The result table of a job: one row per question, one column per (model, region). */
export interface JobReport {
  jobId: string;
  status: string;
  questions: string[];
  columns: { modelId: string; region: string }[];
  /** The job's variants in order; present when it has variants other than the default. */
  variants?: string[];
  /**
   * Per column: the outcome of the only cell, a majority such as "refused 2/3" when repeated, or null if none. With
   * variants, one row per (question, variant), the variants of a question together: a cell is never merged with
   * another variant's.
   */
  rows: { questionId: string; variant?: string; cells: (string | null)[] }[];
  refusalSummary: RefusalSummaryRow[];
  totals: { cells: number; terminal: number; succeeded: number; failed: number; cancelled: number };
}

/** Input of {@link buildJobReport}; cells naming a question, model or region missing from an order come last. */
export interface JobReportInput {
  jobId: string;
  status: string;
  questionOrder: string[];
  modelOrder: string[];
  regionOrder: string[];
  /** The spec's variant ids; left out for a job without variants. */
  variantOrder?: string[];
  cells: ReportCell[];
}

/** Ties in a majority go to the outcome listed first, so a split between a refusal and an answer shows the refusal. */
const OUTCOME_PRIORITY = ['refused', 'partial', 'filtered', 'empty', 'answered', 'unlabelled', 'failed', 'running', 'pending', 'cancelled'];
const RESPONSE_LABELS = new Set(['refused', 'partial', 'answered', 'empty', 'filtered']);

/** What one cell shows: its label once succeeded, otherwise its state. */
export function cellOutcome(cell: Pick<ReportCell, 'state' | 'label'>): string {
  if (cell.state === 'succeeded') return cell.label ?? 'unlabelled';
  return cell.state;
}

/** Builds the result table and the per-(model, region) refusal summary of a job. */
export function buildJobReport(input: JobReportInput): JobReport {
  const questions = withExtras(
    input.questionOrder,
    input.cells.map((c) => c.questionId),
  );
  const models = withExtras(
    input.modelOrder,
    input.cells.map((c) => c.modelId),
  );
  const regions = withExtras(
    input.regionOrder,
    input.cells.map((c) => c.region),
  );
  const variants = withExtras(
    input.variantOrder ?? [''],
    input.cells.map((c) => c.variant ?? ''),
  );
  // A job whose only variant is the default reads as it always did: no variant fields at all.
  const grouped = variants.length > 1 || variants[0] !== '';
  const columns = models.flatMap((modelId) => regions.map((region) => ({ modelId, region })));

  const byCell = new Map<string, ReportCell[]>();
  const byColumn = new Map<string, ReportCell[]>();
  for (const cell of input.cells) {
    push(byCell, key(cell.questionId, cell.variant ?? '', cell.modelId, cell.region), cell);
    push(byColumn, key(cell.variant ?? '', cell.modelId, cell.region), cell);
  }

  const rows = questions.flatMap((questionId) =>
    variants.map((variant) => ({
      questionId,
      ...(grouped ? { variant } : {}),
      cells: columns.map((c) => summariseCell(byCell.get(key(questionId, variant, c.modelId, c.region)) ?? [])),
    })),
  );
  const refusalSummary = variants.flatMap((variant) =>
    columns.map((c) => ({
      ...summariseColumn(c.modelId, c.region, byColumn.get(key(variant, c.modelId, c.region)) ?? []),
      ...(grouped ? { variant } : {}),
    })),
  );

  const count = (state: string) => input.cells.filter((c) => c.state === state).length;
  const succeeded = count('succeeded');
  const failed = count('failed');
  const cancelled = count('cancelled');
  return {
    jobId: input.jobId,
    status: input.status,
    questions,
    ...(grouped ? { variants } : {}),
    columns,
    rows,
    refusalSummary,
    totals: { cells: input.cells.length, terminal: succeeded + failed + cancelled, succeeded, failed, cancelled },
  };
}

function summariseCell(cells: ReportCell[]): string | null {
  const [first, ...rest] = cells;
  if (first === undefined) return null;
  if (rest.length === 0) return cellOutcome(first);
  const counts = new Map<string, number>();
  for (const cell of cells) counts.set(cellOutcome(cell), (counts.get(cellOutcome(cell)) ?? 0) + 1);
  // The most frequent outcome, ties to the higher priority, then alphabetical; `counts` has at least one entry.
  const order = (a: [string, number], b: [string, number]) => b[1] - a[1] || rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]);
  const [outcome, n] = [...counts].reduce((best, entry) => (order(entry, best) < 0 ? entry : best));
  return `${outcome} ${n}/${cells.length}`;
}

function summariseColumn(modelId: string, region: string, cells: ReportCell[]): RefusalSummaryRow {
  const row: RefusalSummaryRow = {
    modelId,
    region,
    total: cells.length,
    refused: 0,
    partial: 0,
    answered: 0,
    empty: 0,
    filtered: 0,
    failed: 0,
    refusalRate: 0,
  };
  let responses = 0;
  for (const cell of cells) {
    if (cell.state === 'failed') row.failed += 1;
    if (cell.state !== 'succeeded' || cell.label === null || !RESPONSE_LABELS.has(cell.label)) continue;
    responses += 1;
    row[cell.label as 'refused' | 'partial' | 'answered' | 'empty' | 'filtered'] += 1;
  }
  row.refusalRate = responses === 0 ? 0 : row.refused / responses;
  return row;
}

function rank(outcome: string): number {
  const i = OUTCOME_PRIORITY.indexOf(outcome);
  return i === -1 ? OUTCOME_PRIORITY.length : i;
}

function withExtras(order: string[], seen: string[]): string[] {
  const out = [...new Set(order)];
  const known = new Set(out);
  for (const id of seen) {
    if (known.has(id)) continue;
    known.add(id);
    out.push(id);
  }
  return out;
}

function key(...parts: string[]): string {
  return parts.join('\u0000');
}

function push<T>(map: Map<string, T[]>, k: string, value: T): void {
  const list = map.get(k);
  if (list) list.push(value);
  else map.set(k, [value]);
}
