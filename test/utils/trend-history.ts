import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { textSimilarity } from '@beacon/analysis';
import type { TrendLabel, TrendPoint, TrendSeries } from '@beacon/domain';
import type { DataSource } from 'typeorm';

/** A replicate as generated: its final state, its stored label (any text, or none) and its response. */
export interface GenReplicate {
  state: 'succeeded' | 'failed' | 'cancelled' | 'pending';
  classification: string | null;
  response: string | null;
}

/** One generated run: a job with a status, a creation time (seconds after the series' start) and its cells' replicates. */
export interface GenRun {
  status: 'completed' | 'partially_completed' | 'failed' | 'cancelled' | 'running' | 'queued';
  createdAtS: number;
  /** Per cell in axis order (question-major, then model, then region): its replicates. */
  cells: GenReplicate[][];
}

/** A generated history: the spec's axes (shared by every run) and its runs. */
export interface GenHistory {
  questions: { id: string; category: string | null }[];
  models: string[];
  regions: string[];
  runs: GenRun[];
}

const LABEL_WORDS = ['answered', 'partial', 'refused', 'empty', 'filtered', 'unknown'] as const;
const TEXTS = [
  'Four.',
  '2 + 2 = 4',
  "I'm sorry, but I can't help with that.",
  '抱歉，我无法回答这个问题。',
  'The capital of France is Paris, a city on the Seine.',
  'Paris is the capital of France.',
  '',
  'Emoji 🙂 and astral 𝔸𝔹ℂ text',
  'x'.repeat(2100),
  '🙂'.repeat(1990) + 'abcdefghijklmnop',
];

const replicateArb: fc.Arbitrary<GenReplicate> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      state: fc.constant('succeeded' as const),
      classification: fc.option(fc.constantFrom(...LABEL_WORDS), { nil: null, freq: 8 }),
      response: fc.constantFrom(...TEXTS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      state: fc.constant('failed' as const),
      classification: fc.constant(null),
      response: fc.option(fc.constant('HTTP 500: Simulated upstream error'), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ state: fc.constant('cancelled' as const), classification: fc.constant(null), response: fc.constant(null) }),
  },
);

/** A history of 1–`maxRuns` runs over 1–3 questions × 1–2 models × 1–2 regions, 1–4 replicates per cell per run. */
export function historyArb(maxRuns = 6): fc.Arbitrary<GenHistory> {
  return fc
    .record({
      questions: fc.uniqueArray(
        fc.record({ id: fc.constantFrom('q_a', 'q_b', 'Q_c', 'q-d'), category: fc.constantFrom(null, 'control', 'bias') }),
        { minLength: 1, maxLength: 3, selector: (q) => q.id },
      ),
      models: fc.uniqueArray(fc.constantFrom('m1', 'm2', 'M3'), { minLength: 1, maxLength: 2 }),
      regions: fc.uniqueArray(fc.constantFrom('us-east', 'eu-west', 'asia-pacific'), { minLength: 1, maxLength: 2 }),
      nRuns: fc.integer({ min: 1, max: maxRuns }),
    })
    .chain(({ questions, models, regions, nRuns }) => {
      const nCells = questions.length * models.length * regions.length;
      const run = fc.record({
        status: fc.constantFrom('completed', 'partially_completed', 'failed', 'cancelled', 'completed', 'running', 'queued'),
        // Equal creation times happen: the series then orders by job id.
        createdAtS: fc.integer({ min: 0, max: 40 }),
        cells: fc.array(fc.array(replicateArb, { minLength: 1, maxLength: 4 }), { minLength: nCells, maxLength: nCells }),
      });
      return fc.record({
        questions: fc.constant(questions),
        models: fc.constant(models),
        regions: fc.constant(regions),
        runs: fc.array(run, { minLength: nRuns, maxLength: nRuns }),
      });
    });
}

const ACTIVE = new Set(['running', 'queued']);

/** The cell keys of a history in axis order. */
export function cellKeys(h: GenHistory): { questionId: string; model: string; region: string }[] {
  return h.questions.flatMap((q) => h.models.flatMap((model) => h.regions.map((region) => ({ questionId: q.id, model, region }))));
}

/**
 * Writes a history as real rows: one job per run (`<prefix>-<n>`, n from 1), with a normalised-looking spec naming the
 * axes, and one executions row per replicate. A replicate of a running job may still be pending. Returns the job ids.
 */
export async function writeHistory(
  ds: DataSource,
  prefix: string,
  h: GenHistory,
  base = new Date('2026-01-01T00:00:00Z'),
): Promise<string[]> {
  const keys = cellKeys(h);
  const spec = {
    questions: h.questions.map((q) => ({ id: q.id, text: `text of ${q.id}`, category: q.category })),
    models: h.models.map((id) => ({ id, name: id })),
    regions: h.regions.map((id) => ({ id, displayName: id })),
    repeats: 1,
  };
  // The runs are a schedule's (paused, so nothing fires): `<prefix>` with runs numbered from 1, as a schedule names them.
  await ds.query(
    `INSERT INTO schedules (id, spec, spec_received, spec_hash, every_ms, paused) VALUES ($1, $2, '{}', 'h', 3600000, true)
     ON CONFLICT (id) DO NOTHING`,
    [prefix, JSON.stringify(spec)],
  );
  const ids: string[] = [];
  for (const [i, run] of h.runs.entries()) {
    const id = `${prefix}-${i + 1}`;
    ids.push(id);
    const cells = run.cells.reduce((a, c) => a + c.length, 0);
    const created = new Date(base.getTime() + run.createdAtS * 1000);
    await ds.query(
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, status, cells_expected, created_at, finished_at, schedule_id, schedule_run)
       VALUES ($1, 'beacon', '{}', 'h', $2, $3, $4, $5, CASE WHEN $6 THEN NULL ELSE $5::timestamptz + interval '1 minute' END, $7, $8)`,
      [id, JSON.stringify(spec), run.status, cells, created, ACTIVE.has(run.status), prefix, i + 1],
    );
    const rows: unknown[][] = [];
    for (const [c, reps] of run.cells.entries()) {
      const k = keys[c]!;
      for (const [r, rep] of reps.entries()) {
        const state = ACTIVE.has(run.status) && r === reps.length - 1 && rep.state !== 'succeeded' ? 'pending' : rep.state;
        rows.push([id, k.questionId, k.model, k.region, r, state, state === 'succeeded' ? rep.classification : null, rep.response]);
      }
    }
    await ds.query(
      `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, trace_id, result_attempt, classification,
                               response, finished_at)
       SELECT r.job_id, r.q, r.m, r.reg, r.rep, r.state, $9, CASE WHEN r.state = 'succeeded' THEN 1 END, r.cls, r.resp,
              CASE WHEN r.state IN ('succeeded','failed','cancelled') THEN now() END
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[])
              AS r(job_id, q, m, reg, rep, state, cls, resp)`,
      [
        rows.map((r) => r[0]),
        rows.map((r) => r[1]),
        rows.map((r) => r[2]),
        rows.map((r) => r[3]),
        rows.map((r) => r[4]),
        rows.map((r) => r[5]),
        rows.map((r) => r[6]),
        rows.map((r) => r[7]),
        randomBytes(16).toString('hex'),
      ],
    );
  }
  return ids;
}

/** An executions row as the independent computation reads it. */
interface ExecRow {
  id: string;
  job_id: string;
  question_id: string;
  model_id: string;
  region: string;
  replicate: number;
  state: string;
  classification: string | null;
  response: string | null;
}

const FIVE = new Set<string>(['answered', 'partial', 'refused', 'empty', 'filtered']);

/**
 * The series computed apart from Beacon's code: from the executions rows of `jobIds` read with a plain SELECT (and the
 * jobs' creation time and status), counted, labelled and compared here. Pass `rows` to compute from rows read
 * earlier (before a prune, say).
 */
export async function readSeriesRows(
  ds: DataSource,
  jobIds: string[],
): Promise<{ execs: ExecRow[]; jobs: { id: string; created_at: Date; status: string; spec: any; schedule_id: string | null }[] }> {
  const execs: ExecRow[] = await ds.query(
    `SELECT id::text AS id, job_id, question_id, model_id, region, replicate, state, classification, response
       FROM executions WHERE job_id = ANY($1) AND superseded_by IS NULL`,
    [jobIds],
  );
  const jobs = await ds.query(`SELECT id, created_at, status, spec, schedule_id FROM jobs WHERE id = ANY($1)`, [jobIds]);
  return { execs, jobs };
}

/** The expected series of those rows. */
export function expectedSeries(
  rows: Awaited<ReturnType<typeof readSeriesRows>>,
  question: string | null = null,
): Pick<TrendSeries, 'runs' | 'points'> {
  const jobs = [...rows.jobs].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const runIndex = new Map(jobs.map((j, i) => [j.id, i]));
  const groups = new Map<string, ExecRow[]>();
  for (const e of rows.execs) {
    if (question !== null && e.question_id !== question) continue;
    const k = JSON.stringify([e.job_id, e.question_id, e.model_id, e.region]);
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const points: TrendPoint[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const job = jobs.find((j) => j.id === first.job_id)!;
    const counts: Record<TrendLabel, number> = { answered: 0, partial: 0, refused: 0, empty: 0, filtered: 0 };
    const labelled = group.filter((e) => e.state === 'succeeded' && e.classification !== null && FIVE.has(e.classification));
    for (const e of labelled) counts[e.classification as TrendLabel] += 1;
    let label: TrendLabel | null = null;
    if (labelled.length > 0) {
      const top = Math.max(...Object.values(counts));
      label = (['refused', 'partial', 'filtered', 'empty', 'answered'] as const).find((l) => counts[l] === top)!;
    }
    const firstLabelled = [...labelled].sort((a, b) => a.replicate - b.replicate || Number(a.id) - Number(b.id))[0];
    const sample = firstLabelled?.response == null ? null : Array.from(firstLabelled.response).slice(0, 2000).join('');
    const q = (job.spec.questions as { id: string; category: string | null }[]).find((x) => x.id === first.question_id);
    points.push({
      questionId: first.question_id,
      model: first.model_id,
      region: first.region,
      runIndex: runIndex.get(first.job_id)!,
      jobId: first.job_id,
      category: q?.category ?? null,
      replicates: group.length,
      responses: labelled.length,
      counts,
      label,
      sample,
      similarityToPrevious: null,
    });
  }
  const cellOf = (p: TrendPoint) => JSON.stringify([p.questionId, p.model, p.region]);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  points.sort((a, b) => cmp(a.questionId, b.questionId) || cmp(a.model, b.model) || cmp(a.region, b.region) || a.runIndex - b.runIndex);
  const byCellRun = new Map(points.map((p) => [`${cellOf(p)}#${p.runIndex}`, p]));
  for (const p of points) {
    const prev = byCellRun.get(`${cellOf(p)}#${p.runIndex - 1}`);
    if (prev && prev.sample !== null && p.sample !== null) p.similarityToPrevious = textSimilarity(prev.sample, p.sample);
  }
  return {
    runs: jobs.map((j, index) => ({
      index,
      jobId: j.id,
      scheduleId: j.schedule_id,
      createdAt: j.created_at.toISOString(),
      status: j.status,
    })),
    points,
  };
}
