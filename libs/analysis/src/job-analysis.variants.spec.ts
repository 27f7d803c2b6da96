import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { cell } from './analysis.fixtures.js';
import { compareRuns } from './compare-runs.js';
import { analyseJob, type AnalysisInput } from './job-analysis.js';
import type { AnalysisCell } from './rates.js';

const VARIANTS = ['lang=en', 'lang=zh-Hans', 'lang=zh-Hans;prompt=native'];
const LABELS = ['answered', 'refused', 'partial', null] as const;

/** A job over generated cells: every (question, model, region, variant, replicate) with a generated label. */
const histories = fc
  .record({
    questions: fc.integer({ min: 1, max: 3 }),
    regions: fc.integer({ min: 1, max: 3 }),
    variants: fc.integer({ min: 1, max: 3 }),
    repeats: fc.integer({ min: 1, max: 2 }),
  })
  .chain((axes) => {
    const keys = Array.from({ length: axes.questions }, (_, q) => `q${q}`).flatMap((q) =>
      VARIANTS.slice(0, axes.variants).flatMap((v) =>
        Array.from({ length: axes.regions }, (_, r) => `r${r}`).flatMap((r) =>
          Array.from({ length: axes.repeats }, (_, rep) => ({ q, v, r, rep })),
        ),
      ),
    );
    return fc.tuple(
      fc.constant(axes),
      fc.array(fc.constantFrom(...LABELS), { minLength: keys.length, maxLength: keys.length }),
      fc.constant(keys),
    );
  })
  .map(([axes, labels, keys]) => {
    const cells: AnalysisCell[] = keys.map((k, i) => ({
      ...cell(
        k.q,
        'm',
        k.r,
        labels[i]!,
        labels[i] === null ? null : `${labels[i]} ${k.v} ${k.r}`,
        k.rep,
        labels[i] === null ? 'failed' : 'succeeded',
      ),
      variant: k.v,
    }));
    const input: AnalysisInput = {
      jobId: 'j',
      status: 'completed',
      benchmark: 'b',
      questions: Array.from({ length: axes.questions }, (_, q) => ({ id: `q${q}`, text: null, category: q === 0 ? 'control' : null })),
      models: ['m'],
      regions: Array.from({ length: axes.regions }, (_, r) => `r${r}`),
      variants: VARIANTS.slice(0, axes.variants),
      repeats: axes.repeats,
      cellsExpected: cells.length,
      cells,
      findings: [],
      resamples: 20,
    };
    return input;
  });

describe('analysis of a job with variants', () => {
  it('compares each (question, model) within one variant, and counts refusals by variant as the rows say', () => {
    fc.assert(
      fc.property(histories, (input) => {
        const a = analyseJob(input);
        const byId = new Map(input.cells.map((c) => [c.id, c]));
        expect(a.variants).toEqual(input.variants);
        // One pair per (question, model, variant) with cells; every answer in it is of its variant.
        const withCells = new Set(input.cells.map((c) => JSON.stringify([c.questionId, c.variant])));
        expect(a.pairs).toHaveLength(withCells.size);
        for (const p of a.pairs) {
          for (const r of p.regions) for (const ans of r.answers) expect(byId.get(ans.executionId)!.variant).toBe(p.variant);
          const own = input.cells.filter((c) => c.questionId === p.questionId && c.variant === p.variant);
          expect(p.regions.reduce((n, r) => n + r.counts.responses + r.counts.noResponse, 0)).toBe(own.length);
        }
        // Refusals by (variant, region, model), counted independently.
        for (const rc of a.refusalByVariant!) {
          const own = input.cells.filter((c) => c.variant === rc.variant && c.region === rc.region);
          expect(rc.counts.refused).toBe(own.filter((c) => c.classification === 'refused').length);
          expect(rc.counts.responses).toBe(own.filter((c) => c.state === 'succeeded').length);
        }
        expect(a.noiseFloorByVariant && Object.keys(a.noiseFloorByVariant)).toEqual(input.variants);
      }),
      { numRuns: 40 },
    );
  });

  it('leaves the analysis of a job without variants without variant fields', () => {
    const a = analyseJob({ ...fc.sample(histories, 1)[0]!, variants: undefined, cells: [cell('q0', 'm', 'r0', 'answered', 'x')] });
    expect(a).not.toHaveProperty('variants');
    expect(a).not.toHaveProperty('refusalByVariant');
    expect(a.pairs[0]).not.toHaveProperty('variant');
  });
});

describe('compareRuns of jobs with variants', () => {
  it('compares a cell with the same variant of the other run, never another variant', () => {
    const run = (zh: string) => [
      { ...cell('q', 'm', 'us', 'answered', 'Yes.'), variant: 'lang=en' },
      { ...cell('q', 'm', 'us', zh, zh), variant: 'lang=zh-Hans' },
    ];
    const spec = { questions: [{ id: 'q' }], models: [{ id: 'm' }], regions: [{ id: 'us' }] };
    const r = compareRuns({ id: 'A', spec, cells: run('answered') }, { id: 'B', spec, cells: run('refused') });
    expect(r.compared).toBe(2);
    expect(r.changed).toHaveLength(1);
    expect(r.changed[0]).toMatchObject({
      questionId: 'q',
      region: 'us',
      variant: 'lang=zh-Hans',
      a: { outcome: 'answered' },
      b: { outcome: 'refused' },
    });
  });
});
