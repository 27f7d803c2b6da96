import fc from 'fast-check';

/**
 * Generated legacy job histories with known ground truth (issue 15, "Make it a property").
 *
 * A {@link History} is a small old-runner job: a spec (≤ 3 questions × 2 models × 3 regions) and the executions its
 * export holds, each with the facts that make reconciler findings and analysis figures: cells run once, twice or never,
 * rows outside the spec or in batch mode, statuses, response texts drawn from a pool per label (what they say biased
 * by region), the Go runner's own label of each row (independent of the text), times (clusters after silences make
 * bursts; some rows end before they start), and the system prompt each row sent (the region's rendering of the
 * template, none, or a drifted one). {@link legacyExport} writes it as the Go runner's export; the
 * oracle (`oracle.ts`) computes every expected figure from the History alone, never from the product's code.
 */

/** The pools a history draws from: bank questions, built-in models and regions, and names no spec lists. */
export const POOL = {
  questions: ['math_basic', 'tiananmen_neutral', 'greatest_leader'] as const,
  models: ['llama3.2-1b', 'qwen2.5-1.5b'] as const,
  regions: ['us-east', 'eu-west', 'asia-pacific'] as const,
};
export const UNLISTED = { question: 'unlisted_question', model: 'gpt-legacy', region: 'moon-base' } as const;

/**
 * The Go runner's own label of a row (the export's `response_classification`): the five of Beacon, one it does not
 * know, or none. Beacon keeps it beside its own label (a `classifications` row of version `imported`) and never counts
 * it: the generator draws it independently of the response text, so a figure that used it would disagree with the oracle.
 */
export type LegacyLabel = 'answered' | 'refused' | 'partial' | 'empty' | 'filtered' | 'unknown' | null;
/** The labels a response's text alone gets from Beacon's classifier ('filtered' needs the provider's signal). */
export type TextLabel = 'answered' | 'refused' | 'partial' | 'empty';
/** The Go runner's execution status words (anything it did not know reads as failed). */
export type LegacyStatus = 'completed' | 'failed' | 'timeout' | 'cancelled' | 'error' | 'stalled';
export type TimeFault = 'none' | 'endsBeforeStart' | 'startsBeforeCreated' | 'noEnd';
export type PromptKind = 'template' | 'none' | 'drifted';

/**
 * The response texts, by the label Beacon's classifier gives each (an import labels a succeeded row by its text): the
 * oracle takes a row's label from the pool its text comes from, and checks once that the classifier agrees (a changed
 * rule fails that check, not the property). Several texts per label, so that duplicates differ or not in their
 * responses and one model can give the same text to several questions; most are ≥ 20 characters, long enough for the
 * identical-responses rule, a few shorter (the Japanese answer, the empty ones). Answers and partial answers (the
 * labels whose distance reads the text similarity) in several scripts: some share no 3-gram (similarity 0), some many
 * (the two English answers; the last partial answer opens with a deflection, then gives the Russian answer).
 */
export const RESPONSES: Readonly<Record<TextLabel, readonly string[]>> = {
  answered: [
    'Paris is the capital of France.',
    'The capital of France is Paris, its largest city.',
    'Столица Франции — Париж, крупнейший город страны.',
    'Η πρωτεύουσα της Ελλάδας είναι η Αθήνα.',
    'フランスの首都はパリです。',
  ],
  partial: [
    "I'd rather not get into the politics of it, but the river runs north through three provinces to the sea.",
    '我们换个话题吧。长江是中国最长的河流，全长约六千三百公里。',
    "I'd rather not say more. Столица Франции — Париж, крупнейший город страны.",
  ],
  refused: [
    "I'm sorry, but I can't help with that request.",
    'I cannot discuss this topic.',
    '抱歉，我无法回答这个问题。请理解。我们尊重每一位用户。',
  ],
  empty: ['', '   \n', '<think>The user asks about history; stay neutral.</think>'],
};
export const DRIFTED_PROMPT = 'You are a helpful assistant.';

export interface CellRef {
  /** null: a batch-mode row (the Go runner sent every question at once and named none). */
  q: string | null;
  m: string;
  r: string;
}

export interface HistoryRow {
  cell: CellRef;
  status: LegacyStatus;
  /** What the response says: the pool of {@link RESPONSES} its text comes from (Beacon's label of a succeeded row). */
  kind: TextLabel;
  /** Index into `RESPONSES[kind]`. */
  text: number;
  /** The export's `response_classification` (absent when null), drawn independently of the text. */
  legacyLabel: LegacyLabel;
  /** Start: cluster × {@link CLUSTER_GAP_S} + jitter after the job's start. */
  cluster: number;
  jitterMs: number;
  durationMs: number;
  timeFault: TimeFault;
  prompt: PromptKind;
}

export interface History {
  questions: string[];
  models: string[];
  regions: string[];
  /** The export's job status word. */
  status: 'completed' | 'failed' | 'cancelled' | 'running';
  minRegions: 1 | 2;
  /** The job's `updated_at`, seconds after its start (negative: it ends before it was created). */
  jobEndS: number;
  rows: HistoryRow[];
}

/** Seconds between two clusters of starts: more than the 60 s of silence that makes a burst. */
export const CLUSTER_GAP_S = 120;
/** The job's start (every time is an offset from it). */
export const T0 = Date.parse('2025-10-01T10:00:00Z');

/** One text of `RESPONSES[kind]`. */
const responseArb = (kind: TextLabel): fc.Arbitrary<{ kind: TextLabel; text: number }> =>
  fc.record({ kind: fc.constant(kind), text: fc.integer({ min: 0, max: RESPONSES[kind].length - 1 }) });

/** Responses with a regional bias: asia-pacific refuses more often (the situation Beacon measures). */
function answerArb(region: string): fc.Arbitrary<{ kind: TextLabel; text: number }> {
  const refusing = region === 'asia-pacific';
  return fc.oneof(
    { withCrossShrink: true },
    { weight: refusing ? 2 : 5, arbitrary: responseArb('answered') },
    { weight: refusing ? 5 : 1, arbitrary: responseArb('refused') },
    { weight: 1, arbitrary: responseArb('partial') },
    { weight: 1, arbitrary: responseArb('empty') },
  );
}

/** The Go runner's label, whatever the text says (absent, the commonest, shrinks first). */
const legacyLabelArb: fc.Arbitrary<LegacyLabel> = fc.oneof(
  { withCrossShrink: true },
  { weight: 2, arbitrary: fc.constant<LegacyLabel>(null) },
  { weight: 5, arbitrary: fc.constantFrom<LegacyLabel>('answered', 'refused', 'partial', 'empty', 'filtered', 'unknown') },
);

/**
 * The facts of one row, drawn before its cell is known: both statuses (the one of a region with an outage, where calls
 * mostly fail, and the usual one) and both answers (a refusing region's and the others'); {@link toRow} picks by the
 * cell. Drawing them without knowing the cell keeps the generator free of `chain`, which fast-check cannot shrink
 * through: a spec axis or a row the failure does not need could not be dropped (issue 15, "a failing case shrinks to
 * a minimal history"; test/unit/oracle-shrink.spec.ts).
 */
interface RowDraw {
  status: LegacyStatus;
  outageStatus: LegacyStatus;
  answer: { kind: TextLabel; text: number };
  refusingAnswer: { kind: TextLabel; text: number };
  legacyLabel: LegacyLabel;
  cluster: number;
  jitterMs: number;
  durationMs: number;
  timeFault: TimeFault;
  prompt: PromptKind;
}

const statusArb = (failing: boolean): fc.Arbitrary<LegacyStatus> =>
  fc.oneof(
    { withCrossShrink: true },
    { weight: failing ? 1 : 6, arbitrary: fc.constant<LegacyStatus>('completed') },
    { weight: failing ? 8 : 2, arbitrary: fc.constantFrom<LegacyStatus>('failed', 'timeout', 'cancelled', 'error', 'stalled') },
  );

const rowDrawArb: fc.Arbitrary<RowDraw> = fc.record({
  status: statusArb(false),
  outageStatus: statusArb(true),
  answer: answerArb('us-east'),
  refusingAnswer: answerArb('asia-pacific'),
  legacyLabel: legacyLabelArb,
  cluster: fc.integer({ min: 0, max: 2 }),
  jitterMs: fc.integer({ min: 0, max: 4000 }),
  durationMs: fc.integer({ min: 100, max: 3000 }),
  timeFault: fc.oneof(
    { withCrossShrink: true },
    { weight: 8, arbitrary: fc.constant<TimeFault>('none') },
    { weight: 1, arbitrary: fc.constantFrom<TimeFault>('endsBeforeStart', 'startsBeforeCreated', 'noEnd') },
  ),
  prompt: fc.oneof(
    { withCrossShrink: true },
    { weight: 6, arbitrary: fc.constant<PromptKind>('template') },
    { weight: 1, arbitrary: fc.constantFrom<PromptKind>('none', 'drifted') },
  ),
});

/** One row of `cell`: in a region with an outage calls mostly fail; asia-pacific refuses more often. */
function toRow(d: RowDraw, cell: CellRef, outage: string | null): HistoryRow {
  const { kind, text } = cell.r === 'asia-pacific' ? d.refusingAnswer : d.answer;
  return {
    cell,
    status: cell.r === outage ? d.outageStatus : d.status,
    kind,
    text,
    legacyLabel: d.legacyLabel,
    cluster: d.cluster,
    jitterMs: d.jitterMs,
    durationMs: d.durationMs,
    timeFault: d.timeFault,
    prompt: d.prompt,
  };
}

/** The spec's cells (repeats 1: legacy specs have no replicates). */
export function specCells(h: Pick<History, 'questions' | 'models' | 'regions'>): CellRef[] {
  return h.questions.flatMap((q) => h.models.flatMap((m) => h.regions.map((r) => ({ q, m, r }))));
}

/** A cell outside the spec, or a batch-mode row, drawn from the pools and the unlisted names. */
const extraCellArb: fc.Arbitrary<CellRef> = fc.record({
  q: fc.oneof(
    { withCrossShrink: true },
    { weight: 3, arbitrary: fc.constantFrom<string | null>(...POOL.questions) },
    { weight: 1, arbitrary: fc.constantFrom<string | null>(UNLISTED.question, null) },
  ),
  m: fc.constantFrom<string>(...POOL.models, UNLISTED.model),
  r: fc.constantFrom<string>(...POOL.regions, UNLISTED.region),
});

/**
 * A spec axis: each value of the pool listed or not, the first one when none is. A flag per value (not a subarray)
 * so that shrinking can drop any one value, not only a leading one.
 */
function axisArb(pool: readonly string[]): fc.Arbitrary<string[]> {
  return fc.tuple(...pool.map(() => fc.boolean())).map((listed) => {
    const values = pool.filter((_, i) => listed[i]);
    return values.length ? values : [pool[0]!];
  });
}

/** Every cell a spec can list: a row is drawn (or not) for each, and kept when the spec lists its cell. */
const POOL_CELLS = specCells({ questions: [...POOL.questions], models: [...POOL.models], regions: [...POOL.regions] });

/**
 * Histories: a random spec, a random subset of its cells run (the rest missing), duplicates of some of them, and a few
 * extra rows (out of spec, or batch mode, or in spec and so duplicates too). Small, so that 200 stay fast and a failure
 * shrinks to a few rows. No `chain`: every part shrinks on its own (see {@link RowDraw}).
 */
export const historyArb: fc.Arbitrary<History> = fc
  .record({
    questions: axisArb(POOL.questions),
    models: axisArb(POOL.models),
    regions: axisArb(POOL.regions),
    /** A region whose calls mostly fail (an outage), or none. */
    outage: fc.option(fc.constantFrom<string>(...POOL.regions), { freq: 2 }),
    status: fc.constantFrom<History['status']>('completed', 'failed', 'cancelled', 'running'),
    minRegions: fc.constantFrom<1 | 2>(1, 2),
    jobEndS: fc.constantFrom(400, 200, -30),
    /** A row for each cell a spec could list, or none (not run); only the spec's cells keep theirs. */
    ran: fc.tuple(...POOL_CELLS.map(() => fc.option(rowDrawArb, { freq: 2 }))),
    /** A duplicate copies the run cell `of` (modulo the run cells, or the spec's cells when none ran), with facts of its own. */
    dupes: fc.array(fc.record({ of: fc.nat(), draw: rowDrawArb }), { maxLength: 4 }),
    extras: fc.array(fc.record({ cell: extraCellArb, draw: rowDrawArb }), { maxLength: 4 }),
  })
  .map(({ outage, ran, dupes, extras, ...h }) => {
    const listed = (xs: readonly string[], x: string | null) => x !== null && xs.includes(x);
    const inSpec = (c: CellRef) => listed(h.questions, c.q) && listed(h.models, c.m) && listed(h.regions, c.r);
    const runRows = POOL_CELLS.flatMap((cell, i) => (ran[i] && inSpec(cell) ? [toRow(ran[i], cell, outage)] : []));
    const extraRows = extras.map((e) => toRow(e.draw, e.cell, outage));
    // A duplicate's cell is a run cell; with none run, a spec cell (so that removing the run row it copied leaves it in
    // place while shrinking: it was not what failed, or it is a row of that cell that failing needs).
    const targets = runRows.length ? runRows.map((r) => r.cell) : specCells(h);
    const dupRows = dupes.map((d) => toRow(d.draw, targets[d.of % targets.length]!, outage));
    return { ...h, rows: [...runRows, ...extraRows, ...dupRows] };
  });

/** The export's times of one row, in ms since the epoch (completion null: the Go zero time). */
export function rowTimes(row: HistoryRow): { created: number; started: number; completed: number | null } {
  const started = T0 + row.cluster * CLUSTER_GAP_S * 1000 + row.jitterMs;
  const created = row.timeFault === 'startsBeforeCreated' ? started + 10_000 : started - 1000;
  const completed = row.timeFault === 'noEnd' ? null : row.timeFault === 'endsBeforeStart' ? started - 5000 : started + row.durationMs;
  return { created, started, completed };
}

/** The Go runner's export (`{job, executions}`) of a history, under `jobId` and legacy job id `legacyJobId`. */
export function legacyExport(
  h: History,
  jobId: string,
  legacyJobId: number,
  systemPromptOf: (region: string) => string,
): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    job: {
      id: legacyJobId,
      jobspec_id: jobId,
      status: h.status,
      created_at: iso(T0),
      updated_at: iso(T0 + h.jobEndS * 1000),
      jobspec_data: {
        id: jobId,
        version: 'v1',
        constraints: { regions: h.regions, min_regions: h.minRegions },
        metadata: { models: h.models },
        questions: h.questions,
      },
    },
    executions: h.rows.map((row, i) => {
      const t = rowTimes(row);
      const system = row.prompt === 'template' ? systemPromptOf(row.cell.r) : row.prompt === 'drifted' ? DRIFTED_PROMPT : undefined;
      return {
        id: legacyExecutionId(i),
        job_id: jobId,
        status: row.status,
        region: row.cell.r,
        model_id: row.cell.m,
        question_id: row.cell.q,
        created_at: iso(t.created),
        started_at: iso(t.started),
        completed_at: t.completed === null ? '0001-01-01T00:00:00Z' : iso(t.completed),
        output: { response: responseText(row), metadata: {} },
        ...(row.legacyLabel !== null ? { response_classification: row.legacyLabel } : {}),
        ...(system !== undefined ? { system_prompt: system } : {}),
      };
    }),
  };
}

/** The response text of a row. */
export const responseText = (row: Pick<HistoryRow, 'kind' | 'text'>): string => RESPONSES[row.kind][row.text]!;

/** The legacy execution id of row `i`. */
export const legacyExecutionId = (i: number): number => 1000 + i;

/** A short text of a history for failure messages (the shrunk counterexample). */
export function describeHistory(h: History): string {
  const row = (r: HistoryRow, i: number) =>
    `  #${legacyExecutionId(i)} ${r.cell.q ?? '(batch)'} × ${r.cell.m} × ${r.cell.r}: ${r.status} ${r.kind} text ${r.text} legacy ${r.legacyLabel ?? '-'} ` +
    `t=${r.cluster}:${r.jitterMs}+${r.durationMs}${r.timeFault !== 'none' ? ` ${r.timeFault}` : ''}${r.prompt !== 'template' ? ` prompt ${r.prompt}` : ''}`;
  return [
    `spec ${h.questions.join(',')} × ${h.models.join(',')} × ${h.regions.join(',')}; job ${h.status}, min_regions ${h.minRegions}, ends +${h.jobEndS} s`,
    ...h.rows.map(row),
  ].join('\n');
}
