import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository, LifecycleRepository } from '@beacon/db';
import { LEGACY_BATCH_QUESTION, legacyImportRows, parseLegacyDocument } from '@beacon/domain';
import { ReconcileService, type Finding, type ReconcilerThresholds } from '@beacon/reconciler';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/** One cell key as the rules' evidence names it. */
interface Cell {
  questionId: string;
  modelId: string;
  region: string;
  replicate: number;
}

const keyOf = (c: Cell): string => JSON.stringify([c.questionId, c.modelId, c.region, c.replicate]);
const sortedKeys = (cells: readonly Cell[]): string[] => [...new Set(cells.map(keyOf))].sort();
const cell = (questionId: string, modelId: string, region: string, replicate = 0): Cell => ({ questionId, modelId, region, replicate });

/** The cells a rule's finding names (none without a finding; a finding that names none shows its summary instead). */
function namedCells(f: Finding | undefined): string[] {
  if (!f) return [];
  return Array.isArray(f.evidence.cells) ? sortedKeys(f.evidence.cells as Cell[]) : [`names no cell: ${f.summary}`];
}

/**
 * `missing_cells` compares the spec's cell set with the stored keys (issue 15 item 5), and `out_of_spec` names the
 * stored keys outside it; neither is misled by duplicates or extra rows.
 */
describe('reconciler: missing and out-of-spec cells as sets', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase('recmiss');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  async function check(jobId: string, thresholds: Partial<ReconcilerThresholds> = {}, ruleIds?: string[]): Promise<Finding[]> {
    const out = await new ReconcileService(ds, thresholds).run({ scope: { jobId }, persist: false, ruleIds });
    if (out.skipped) throw new Error('skipped');
    expect(out.errors).toEqual([]);
    return out.findings;
  }
  const byRule = (fs: Finding[], rule: string) => fs.filter((f) => f.ruleId === rule);

  // The situation: an old-runner export of a 72-cell spec (8 questions × 3 models × 3 regions).
  const QUESTIONS = [
    'math_basic',
    'geography_basic',
    'identity_basic',
    'tiananmen_neutral',
    'taiwan_status',
    'hongkong_2019',
    'greatest_invention',
    'greatest_leader',
  ];
  const MODELS = ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'];
  const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
  const NEVER_RUN = [
    cell('taiwan_status', 'qwen2.5-1.5b', 'eu-west'),
    cell('math_basic', 'mistral-7b', 'asia-pacific'),
    cell('greatest_leader', 'llama3.2-1b', 'us-east'),
  ];
  const OUT_OF_SPEC_ROWS = [
    cell('math_basic', 'gpt-legacy', 'us-east'),
    cell('math_basic', 'gpt-legacy', 'eu-west'),
    cell('math_basic', 'gpt-legacy', 'asia-pacific'),
    cell('math_basic', 'llama3.2-1b', 'moon-base'),
    cell('math_basic', 'qwen2.5-1.5b', 'moon-base'),
    cell('unlisted_question', 'llama3.2-1b', 'us-east'),
    cell('unlisted_question', 'llama3.2-1b', 'us-east'),
    cell('unlisted_question', 'qwen2.5-1.5b', 'eu-west'),
  ];
  const specCells = QUESTIONS.flatMap((q) => MODELS.flatMap((m) => REGIONS.map((r) => cell(q, m, r))));
  const ranCells = specCells.filter((c) => !NEVER_RUN.some((n) => keyOf(n) === keyOf(c)));

  /** Imports an export of `rows` (question null = batch mode) through the same path as `beacon import`. */
  async function importExport(
    jobId: string,
    legacyId: number,
    rows: readonly (Omit<Cell, 'questionId'> & { questionId: string | null })[],
  ) {
    const t = Date.parse('2025-10-01T10:00:00Z');
    const doc = {
      job: {
        id: legacyId,
        jobspec_id: jobId,
        status: 'completed',
        created_at: new Date(t).toISOString(),
        updated_at: new Date(t + 3_600_000).toISOString(),
        jobspec_data: {
          id: jobId,
          version: 'v1',
          constraints: { regions: REGIONS, min_regions: 1 },
          metadata: { models: MODELS },
          questions: QUESTIONS,
        },
      },
      executions: rows.map((r, i) => ({
        id: legacyId * 1000 + i,
        job_id: jobId,
        status: 'completed',
        region: r.region,
        model_id: r.modelId,
        question_id: r.questionId,
        created_at: new Date(t + i * 1000).toISOString(),
        started_at: new Date(t + i * 1000).toISOString(),
        completed_at: new Date(t + i * 1000 + 500).toISOString(),
        output: { response: `answer ${i} from ${r.modelId} in ${r.region}` },
      })),
    };
    const stored = await new LegacyImportRepository(ds, classifyResponse).store(legacyImportRows(parseLegacyDocument(doc)));
    expect(stored).toMatchObject({ jobId, imported: rows.length });
  }

  it('defect 15.5: an old-runner export of 89 rows for a 72-cell spec names exactly the 3 cells never run', async () => {
    const jobId = 'legacy-15-5-89-rows';
    // 69 cells ran once, 12 of them twice more (duplicates), and 8 rows are outside the spec: 89 rows, 3 cells never run.
    const duplicates = ranCells.filter((_, i) => i % 6 === 0).slice(0, 12);
    const rows = [...ranCells, ...duplicates, ...OUT_OF_SPEC_ROWS];
    expect([specCells.length, ranCells.length, duplicates.length, rows.length]).toEqual([72, 69, 12, 89]);
    await importExport(jobId, 1505, rows);

    const fs = await check(jobId);
    const missing = byRule(fs, 'missing_cells');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.fingerprint).toBe(`missing_cells:${jobId}`);
    expect(namedCells(missing[0])).toEqual(sortedKeys(NEVER_RUN));
    expect(missing[0]!.evidence).toMatchObject({ count: 3, expected: 72, status: 'completed' });
    for (const c of NEVER_RUN) expect(missing[0]!.summary).toContain(`(${c.region}, ${c.modelId}, ${c.questionId})`);

    // The stored cells outside the spec are out_of_spec's, named every one, and never reported as missing.
    const oos = byRule(fs, 'out_of_spec');
    expect(oos).toHaveLength(1);
    expect(namedCells(oos[0])).toEqual(sortedKeys(OUT_OF_SPEC_ROWS));
    expect(oos[0]!.evidence).toMatchObject({ count: 8, cellCount: 7, models: ['gpt-legacy'], regions: ['moon-base'] });
    expect(namedCells(missing[0]).filter((k) => namedCells(oos[0]).includes(k))).toEqual([]);
    // The duplicates are duplicate_cell's (12 in-spec cells, and the out-of-spec cell exported twice).
    expect(byRule(fs, 'duplicate_cell')).toHaveLength(13);
  });

  it('defect 15.5: fires when duplicates make the row count equal the 72 cells the spec asks for', async () => {
    const jobId = 'legacy-15-5-72-rows';
    const rows = [...ranCells, ranCells[0]!, ranCells[10]!, ranCells[20]!];
    expect(rows).toHaveLength(72);
    await importExport(jobId, 1506, rows);
    const [missing] = byRule(await check(jobId), 'missing_cells');
    expect(namedCells(missing)).toEqual(sortedKeys(NEVER_RUN));
    expect(missing?.evidence).toMatchObject({ count: 3, expected: 72 });
  });

  it('missing_cells: a batch-mode row (no question) stands for every question of its model, region and replicate', async () => {
    const jobId = 'legacy-15-5-batch';
    // Batch rows for every (model, region) but (mistral-7b, asia-pacific), plus one per-question row there.
    const pairs = MODELS.flatMap((m) => REGIONS.map((r) => ({ modelId: m, region: r, replicate: 0 })));
    const rows = [
      ...pairs.filter((p) => !(p.modelId === 'mistral-7b' && p.region === 'asia-pacific')).map((p) => ({ ...p, questionId: null })),
      { ...cell('identity_basic', 'mistral-7b', 'asia-pacific') },
    ];
    await importExport(jobId, 1507, rows);
    const fs = await check(jobId);
    const expected = QUESTIONS.filter((q) => q !== 'identity_basic').map((q) => cell(q, 'mistral-7b', 'asia-pacific'));
    expect(namedCells(byRule(fs, 'missing_cells')[0])).toEqual(sortedKeys(expected));
    expect(byRule(fs, 'out_of_spec')).toEqual([]);
    // That the questions were not asked one by one is batch_mode's finding, not missing cells.
    expect(byRule(fs, 'batch_mode')[0]?.evidence).toMatchObject({ count: 8 });
  });

  it('missing_cells: the evidence list is bounded by evidenceLimit, the count is exact, and a spec without axis arrays is skipped', async () => {
    const jobId = 'legacy-15-5-bounded';
    await importExport(jobId, 1508, ranCells);
    const [missing] = byRule(await check(jobId, { evidenceLimit: 2 }, ['missing_cells']), 'missing_cells');
    expect(missing?.evidence.count).toBe(3);
    expect(missing?.evidence.cells).toHaveLength(2);

    await ds.query(`UPDATE jobs SET spec = jsonb_set(spec, '{models}', '"all"') WHERE id = $1`, [jobId]);
    expect(await check(jobId, {}, ['missing_cells', 'out_of_spec'])).toEqual([]);
  });

  // ---- The property: random specs and histories against a model of the two rules computed here, in TypeScript. ----

  const POOL = { questions: ['q1', 'q2', 'q3', 'q4', 'q5'], models: ['m1', 'm2', 'm3'], regions: ['r1', 'r2', 'r3', 'r4'] };
  interface Spec {
    questions: string[];
    models: string[];
    regions: string[];
    repeats: number;
  }
  /** A stored row: a cell key (question null = an imported batch-mode row). */
  interface StoredRow {
    questionId: string | null;
    modelId: string;
    region: string;
    replicate: number;
  }
  interface History {
    spec: Spec;
    status: string;
    rows: StoredRow[];
    planned: boolean;
    supersede: boolean;
  }

  const expectedCells = (s: Spec): Cell[] =>
    s.questions.flatMap((q) =>
      s.models.flatMap((m) => s.regions.flatMap((r) => Array.from({ length: s.repeats }, (_, rep) => cell(q, m, r, rep)))),
    );

  const specArb: fc.Arbitrary<Spec> = fc.record({
    questions: fc.shuffledSubarray(POOL.questions, { minLength: 1 }),
    models: fc.shuffledSubarray(POOL.models, { minLength: 1 }),
    regions: fc.shuffledSubarray(POOL.regions, { minLength: 1 }),
    repeats: fc.integer({ min: 1, max: 3 }),
  });
  // Extras draw from the pools and one value no spec lists, so they land inside or outside the spec at random.
  const extraArb: fc.Arbitrary<StoredRow> = fc.record({
    questionId: fc.option(fc.constantFrom(...POOL.questions, 'q-unlisted'), { nil: null, freq: 4 }),
    modelId: fc.constantFrom(...POOL.models, 'm-unlisted'),
    region: fc.constantFrom(...POOL.regions, 'r-unlisted'),
    replicate: fc.integer({ min: 0, max: 3 }),
  });
  const historyArb: fc.Arbitrary<History> = specArb.chain((spec) =>
    fc
      .record({
        spec: fc.constant(spec),
        status: fc.constantFrom('completed', 'partially_completed', 'failed', 'cancelled'),
        stored: fc.subarray(expectedCells(spec)),
        duplicates: fc.array(fc.nat(), { maxLength: 12 }),
        extras: fc.array(extraArb, { maxLength: 10 }),
        planned: fc.boolean(),
        supersede: fc.boolean(),
      })
      .map(({ spec, status, stored, duplicates, extras, planned, supersede }) => {
        const firsts: StoredRow[] = [...stored, ...extras];
        const copies = firsts.length ? duplicates.map((n) => firsts[n % firsts.length]!) : [];
        return { spec, status, rows: [...firsts, ...copies], planned, supersede };
      }),
  );

  /** The model: expected minus the stored non-superseded keys, a batch-mode row covering every spec question. */
  function modelMissing(h: History): string[] {
    const covered = new Set<string>();
    for (const r of h.rows) {
      for (const q of r.questionId === null ? h.spec.questions : [r.questionId]) covered.add(keyOf({ ...r, questionId: q }));
    }
    return sortedKeys(expectedCells(h.spec).filter((c) => !covered.has(keyOf(c))));
  }
  /** The model: the stored keys outside the spec (a batch-mode row's question counts as listed, as IN_SPEC says). */
  function modelOutside(h: History): string[] {
    const s = h.spec;
    const outside = h.rows.filter(
      (r) =>
        !(
          (r.questionId === null || s.questions.includes(r.questionId)) &&
          s.models.includes(r.modelId) &&
          s.regions.includes(r.region) &&
          r.replicate < s.repeats
        ),
    );
    return sortedKeys(outside.map((r) => ({ ...r, questionId: r.questionId ?? LEGACY_BATCH_QUESTION })));
  }

  let seq = 0;
  /** Stores a history: the job, its rows (first copies planned rows when `planned`, every other one imported), and supersedes copies. */
  async function storeHistory(h: History): Promise<string> {
    const jobId = `prop-${++seq}`;
    const spec = {
      id: jobId,
      questions: h.spec.questions.map((id) => ({ id, text: id })),
      models: h.spec.models.map((id) => ({ id, name: id })),
      regions: h.spec.regions.map((id) => ({ id, displayName: id })),
      repeats: h.spec.repeats,
    };
    await ds.query(
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, status, cells_expected, created_at, updated_at, started_at, finished_at)
       VALUES ($1, 'beacon', $2::text, 'h', $2::text::jsonb, $3, $4, now() - interval '2 hours', now() - interval '1 hour',
               now() - interval '2 hours', now() - interval '1 hour')`,
      [jobId, JSON.stringify(spec), h.status, expectedCells(h.spec).length],
    );
    const seen = new Set<string>();
    const rows = h.rows.map((r, i) => {
      const questionId = r.questionId ?? LEGACY_BATCH_QUESTION;
      const key = keyOf({ ...r, questionId });
      const first = !seen.has(key);
      seen.add(key);
      return {
        ...r,
        questionId,
        batch: r.questionId === null,
        imported: !(h.planned && first && r.questionId !== null),
        i,
        key,
        traceId: createHash('md5').update(`${jobId}:${i}`).digest('hex'),
      };
    });
    const inserted: { id: string; trace_id: string }[] = await ds.query(
      `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, attempts, failures, max_attempts, trace_id,
                               result_attempt, started_at, finished_at, imported, legacy_id, legacy_question_id)
       SELECT $1, u.q, u.m, u.r, u.rep, u.state, 1, CASE WHEN u.state = 'failed' THEN 1 ELSE 0 END, 1, u.trace,
              CASE WHEN u.state = 'succeeded' THEN 1 END, now() - interval '100 minutes', now() - interval '90 minutes',
              u.imported, CASE WHEN u.imported THEN u.i END, CASE WHEN u.batch THEN NULL ELSE u.q END
         FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::int[], $8::boolean[], $9::boolean[], $10::text[])
           AS u(q, m, r, rep, state, i, imported, batch, trace)
       RETURNING id, trace_id`,
      [
        jobId,
        rows.map((r) => r.questionId),
        rows.map((r) => r.modelId),
        rows.map((r) => r.region),
        rows.map((r) => r.replicate),
        rows.map((r) => ['succeeded', 'failed', 'cancelled'][r.i % 3]),
        rows.map((r) => r.i),
        rows.map((r) => r.imported),
        rows.map((r) => r.batch),
        rows.map((r) => r.traceId),
      ],
    );
    if (h.supersede) {
      const idOf = new Map(inserted.map((r) => [r.trace_id, r.id]));
      const groups = new Map<string, string[]>();
      for (const r of rows) groups.set(r.key, [...(groups.get(r.key) ?? []), idOf.get(r.traceId)!]);
      const lifecycle = new LifecycleRepository(ds);
      for (const [keep, ...copies] of groups.values()) if (copies.length) await lifecycle.supersede(copies, keep!);
    }
    return jobId;
  }

  it('property: missing_cells names exactly expected minus stored, out_of_spec exactly stored minus expected', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async (h) => {
        const jobId = await storeHistory(h);
        const fs = await check(jobId, { evidenceLimit: 10_000 }, ['missing_cells', 'out_of_spec']);
        const missing = byRule(fs, 'missing_cells');
        const oos = byRule(fs, 'out_of_spec');
        expect(missing.length).toBeLessThanOrEqual(1);
        expect(oos.length).toBeLessThanOrEqual(1);
        expect(namedCells(missing[0])).toEqual(modelMissing(h));
        expect(missing[0]?.evidence.count ?? 0).toBe(modelMissing(h).length);
        expect(namedCells(oos[0])).toEqual(modelOutside(h));
        expect(oos[0]?.evidence.cellCount ?? 0).toBe(modelOutside(h).length);
      }),
      { numRuns: 40 },
    );
  });
});
