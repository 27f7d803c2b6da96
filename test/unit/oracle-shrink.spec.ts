import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { defaultConfig } from '@beacon/domain';
import { describeHistory, historyArb, POOL, type History, type HistoryRow } from '../oracle/history.js';
import { expectedAnalysis, expectedFindings, type OracleConfig } from '../oracle/oracle.js';

/**
 * Issue 15, "a failing case shrinks to a minimal history": the oracle harness' generator is run by fast-check against
 * a product with a fault injected into one figure, and the counterexample it reports must be minimal. Pure: the faulty
 * "product" is the oracle's own figure with the fault applied, so no database is needed and the test takes well under
 * a second per fault.
 *
 * Minimal, as defined here: no history one step simpler still fails. One step simpler is one row removed, one value of
 * a spec axis dropped with the rows of its cells (an axis keeps at least one value; the generator, too, keeps a run
 * row only while the spec lists its cell), or one field of a row or of the job set to the value the generator shrinks
 * towards (a completed row, the first answered text, no export label, the first cluster, no jitter, the shortest call,
 * no time fault, the region's prompt; a completed job, min_regions 1, the plain job end). Each fault also bounds the
 * size of its smallest histories (spec cells, rows), and the shrunk history must be within it.
 */

const SEED = Number(process.env.ORACLE_SEED ?? 15_015);
const config = defaultConfig();
const cfg: OracleConfig = {
  questionText: Object.fromEntries(Object.values(config.questions).map((q) => [q.id, q.text])),
  category: Object.fromEntries(Object.values(config.questions).map((q) => [q.id, q.category ?? 'uncategorised'])),
  regionName: Object.fromEntries(Object.values(config.regions).map((r) => [r.id, r.displayName])),
  template: config.prompt.template,
};

/** The simplest value of each row field: what the generator's arbitraries shrink towards. */
const SIMPLEST_ROW: Omit<HistoryRow, 'cell'> = {
  status: 'completed',
  kind: 'answered',
  text: 0,
  legacyLabel: null,
  cluster: 0,
  jitterMs: 0,
  durationMs: 100,
  timeFault: 'none',
  prompt: 'template',
};
const SIMPLEST_JOB: Pick<History, 'status' | 'minRegions' | 'jobEndS'> = { status: 'completed', minRegions: 1, jobEndS: 400 };

/** Every history one step simpler than `h` (see the file's comment). */
function simplerVariants(h: History): { step: string; history: History }[] {
  const out: { step: string; history: History }[] = [];
  h.rows.forEach((_, i) => out.push({ step: `remove row ${i}`, history: { ...h, rows: h.rows.filter((__, j) => j !== i) } }));
  for (const axis of ['questions', 'models', 'regions'] as const)
    if (h[axis].length > 1)
      for (const v of h[axis]) {
        const field = axis === 'questions' ? 'q' : axis === 'models' ? 'm' : 'r';
        const rows = h.rows.filter((r) => r.cell[field] !== v);
        out.push({ step: `drop ${axis} ${v} and its rows`, history: { ...h, [axis]: h[axis].filter((x) => x !== v), rows } });
      }
  h.rows.forEach((row, i) => {
    for (const field of Object.keys(SIMPLEST_ROW) as (keyof typeof SIMPLEST_ROW)[]) {
      if (row[field] === SIMPLEST_ROW[field]) continue;
      // A text index belongs to its pool: the simplest text of another pool is its first one.
      const simpler = field === 'kind' ? { kind: SIMPLEST_ROW.kind, text: 0 } : { [field]: SIMPLEST_ROW[field] };
      out.push({
        step: `row ${i} ${field} → ${String(SIMPLEST_ROW[field])}`,
        history: { ...h, rows: h.rows.map((r, j) => (j === i ? { ...r, ...simpler } : r)) },
      });
    }
  });
  for (const field of Object.keys(SIMPLEST_JOB) as (keyof typeof SIMPLEST_JOB)[])
    if (h[field] !== SIMPLEST_JOB[field])
      out.push({ step: `job ${field} → ${SIMPLEST_JOB[field]}`, history: { ...h, [field]: SIMPLEST_JOB[field] } });
  return out;
}

interface Fault {
  name: string;
  /** True when the faulty figure equals the oracle's on `h`. */
  agrees(h: History): boolean;
  /** The largest size (spec cells, rows) a minimal history showing the fault has. */
  smallest: { cells: number; rows: number };
}

const FAULTS: Fault[] = [
  {
    // An off-by-one on one count: a region × model with two refusals or more shows one refusal too many.
    name: 'refusal count off by one from the second refusal on',
    agrees(h) {
      const matrix = expectedAnalysis(h, cfg).refusalMatrix;
      return Object.values(matrix).every((c) => (c.refused >= 2 ? c.refused + 1 : c.refused) === c.refused);
    },
    // Two refused answers of one region and model: two rows (one cell run twice, or two cells, or one row outside the spec).
    smallest: { cells: 2, rows: 2 },
  },
  {
    // The old runner's own bug (issue 15.5): missing cells counted as "spec cells minus rows", not found by comparing sets.
    name: 'missing cells counted, not compared',
    agrees(h) {
      const finding = expectedFindings(h, 'job', cfg, (id) => id).find((f) => f.ruleId === 'missing_cells');
      const truth = finding ? (finding.evidence.count as number) : 0;
      const cells = h.questions.length * h.models.length * h.regions.length;
      return Math.max(0, cells - h.rows.length) === truth;
    },
    // One spec cell never run while a row of another cell makes the counts equal: a one-cell spec and a row outside it,
    // or a two-cell spec with one cell run twice.
    smallest: { cells: 2, rows: 2 },
  },
];

describe('oracle harness: a failing case shrinks to a minimal history (issue 15)', () => {
  for (const fault of FAULTS) {
    it(`fault "${fault.name}": fast-check finds it and shrinks it to a minimal history`, () => {
      const result = fc.check(
        fc.property(historyArb, (h) => fault.agrees(h)),
        { numRuns: 200, seed: SEED },
      );
      expect(result.failed).toBe(true);
      const h = result.counterexample![0];
      const shown = `shrunk in ${result.numShrinks} steps to:\n${describeHistory(h)}`;
      // Still a counterexample, within the size of the fault's smallest histories.
      expect({ agrees: fault.agrees(h), shown }).toEqual({ agrees: false, shown });
      const cells = h.questions.length * h.models.length * h.regions.length;
      expect({ small: cells <= fault.smallest.cells && h.rows.length <= fault.smallest.rows, shown }).toEqual({ small: true, shown });
      // No history one step simpler still fails.
      const stillFailing = simplerVariants(h)
        .filter((v) => !fault.agrees(v.history))
        .map((v) => v.step);
      expect({ stillFailing, shown }).toEqual({ stillFailing: [], shown });
    });
  }

  it('the minimality check can fail: a history padded with an irrelevant row is not minimal', () => {
    const fault = FAULTS[1]!;
    const base: History = {
      questions: [POOL.questions[0]],
      models: [POOL.models[0]],
      regions: [POOL.regions[0]],
      ...SIMPLEST_JOB,
      rows: [{ cell: { q: POOL.questions[1], m: POOL.models[0], r: POOL.regions[0] }, ...SIMPLEST_ROW }],
    };
    expect(fault.agrees(base)).toBe(false);
    expect(simplerVariants(base).filter((v) => !fault.agrees(v.history))).toEqual([]);
    const padded: History = { ...base, rows: [...base.rows, { ...base.rows[0]!, status: 'failed', cluster: 2 }] };
    // Removing the padded row, or simplifying its fields, keeps the failure: the check names those steps.
    expect(fault.agrees(padded)).toBe(false);
    expect(
      simplerVariants(padded)
        .filter((v) => !fault.agrees(v.history))
        .map((v) => v.step),
    ).toEqual(expect.arrayContaining(['remove row 1', 'row 1 status → completed', 'row 1 cluster → 0']));
  });
});
