import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ResponseLabel } from './analysis.types.js';
import {
  DistanceTable,
  PairSums,
  answerDistance,
  bootstrapBand,
  divergenceOf,
  sampleIndices,
  withinRegionDistance,
  type LabelledText,
} from './divergence.js';

const ans = (text: string): LabelledText => ({ label: 'answered', text });
const refused = (text = "I'm sorry, but I can't assist with that."): LabelledText => ({ label: 'refused', text });

describe(answerDistance.name, () => {
  it('gates the text distance by label', () => {
    expect(answerDistance({ label: 'answered' }, { label: 'refused' }, 1)).toBe(1);
    expect(answerDistance({ label: 'refused' }, { label: 'refused' }, 0)).toBe(0); // two refusals agree, whatever the language
    expect(answerDistance({ label: 'answered' }, { label: 'answered' }, 0.8)).toBeCloseTo(0.2, 12);
    expect(answerDistance({ label: 'answered' }, { label: 'partial' }, 1)).toBe(0.5);
    expect(answerDistance({ label: 'answered' }, { label: 'partial' }, 0)).toBe(1);
    expect(answerDistance({ label: 'filtered' }, { label: 'refused' }, 1)).toBe(1);
  });
});

describe(divergenceOf.name, () => {
  it('is 0 when every region gives the same answer and 1 when every region differs completely', () => {
    const same = new DistanceTable([[ans('Paris')], [ans('Paris')], [ans('paris.')]]);
    expect(divergenceOf(same, same.groups)).toBeCloseTo(0, 12);
    const disjoint = new DistanceTable([[ans('4')], [refused()], [{ label: 'filtered', text: '' }]]);
    expect(divergenceOf(disjoint, disjoint.groups)).toBe(1);
  });

  it('is 2/3 when one of three regions refuses and the other two answer alike', () => {
    const t = new DistanceTable([[refused()], [ans('It was a crackdown.')], [ans('It was a crackdown.')]]);
    expect(divergenceOf(t, t.groups)).toBeCloseTo(2 / 3, 12);
  });

  it('is undefined with fewer than two regions that have a response', () => {
    const t = new DistanceTable([[ans('x')], [], []]);
    expect(divergenceOf(t, t.groups)).toBeNull();
  });
});

describe(bootstrapBand.name, () => {
  it('is null without replicates', () => {
    const t = new DistanceTable([[ans('a b c')], [refused()]]);
    expect(bootstrapBand(t, t.groups, 200, 1)).toBeNull();
  });

  it('has zero width when replicates agree, and is wide when they vary', () => {
    const steady = new DistanceTable([
      [refused(), refused(), refused()],
      [ans('yes it is'), ans('yes it is'), ans('yes it is')],
    ]);
    expect(bootstrapBand(steady, steady.groups, 300, 7)).toEqual({ low: 1, high: 1 });
    expect(withinRegionDistance(steady, steady.groups)).toBe(0);

    const noisy = new DistanceTable([
      [refused(), ans('It was a military crackdown on protesters.'), refused(), ans('It was a military crackdown on protesters.')],
      [
        ans('It was a military crackdown on protesters.'),
        ans('It was a military crackdown on protesters.'),
        ans('It was a military crackdown on protesters.'),
        refused(),
      ],
    ]);
    const band = bootstrapBand(noisy, noisy.groups, 500, 7)!;
    expect(band.high - band.low).toBeGreaterThan(0.2);
    expect(withinRegionDistance(noisy, noisy.groups)).toBeGreaterThan(0.3);
  });

  it('is reproducible for a seed', () => {
    const t = new DistanceTable([
      [refused(), ans('a long answer'), ans('another answer')],
      [ans('a long answer'), refused(), ans('x y z')],
    ]);
    expect(bootstrapBand(t, t.groups, 400, 42)).toEqual(bootstrapBand(t, t.groups, 400, 42));
  });

  it('always contains the point estimate and stays within [0, 1]', () => {
    const label = fc.constantFrom<ResponseLabel>('answered', 'refused', 'partial', 'empty', 'filtered');
    const response = fc.record({ label, text: fc.constantFrom('Paris', 'It was a crackdown.', '抱歉，我无法回答。', 'yes', '') });
    const region = fc.array(response, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(region, { minLength: 2, maxLength: 4 }), fc.integer(), (regions, seed) => {
        const t = new DistanceTable(regions);
        const point = divergenceOf(t, t.groups)!;
        const band = bootstrapBand(t, t.groups, 100, seed);
        if (!regions.some((r) => r.length >= 2)) return expect(band).toBeNull();
        expect(band!.low).toBeLessThanOrEqual(point);
        expect(band!.high).toBeGreaterThanOrEqual(point);
        expect(band!.low).toBeGreaterThanOrEqual(0);
        expect(band!.high).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe(PairSums.name, () => {
  it('gives every-pair means without visiting the pairs: equal to the distance table up to rounding', () => {
    const label = fc.constantFrom<ResponseLabel>('answered', 'refused', 'partial', 'empty', 'filtered');
    const text = fc.oneof(
      fc.constantFrom(
        'Paris',
        'It was a crackdown.',
        '抱歉，我无法回答。',
        '',
        '!!!',
        'The capital of France is Paris.',
        '𠀋𠀋 ok 😀',
        'é',
      ),
      fc.string({ maxLength: 40, unit: 'grapheme' }),
    );
    const region = fc.array(fc.record({ label, text }), { maxLength: 12 });
    fc.assert(
      fc.property(fc.array(region, { minLength: 1, maxLength: 4 }), (regions) => {
        const t = new DistanceTable(regions);
        const s = new PairSums(regions);
        const close = (a: number | null, b: number | null) => (a === null || b === null ? expect(a).toBe(b) : expect(a).toBeCloseTo(b, 10));
        close(s.divergence(), divergenceOf(t, t.groups));
        close(s.withinRegion(), withinRegionDistance(t, t.groups));
        for (let a = 0; a < regions.length; a++)
          for (let b = a + 1; b < regions.length; b++) {
            if (!regions[a]!.length || !regions[b]!.length) continue;
            const r = s.between(a, b);
            let agree = 0;
            let sim = 0;
            for (const i of t.groups[a]!)
              for (const j of t.groups[b]!) {
                if (t.responses[i]!.label === t.responses[j]!.label) agree += 1;
                sim += t.similarity(i, j);
              }
            expect(r.agreeing).toBe(agree);
            close(r.similarity, sim);
            close(r.distance / r.pairs, t.meanBetween(t.groups[a]!, t.groups[b]!));
          }
      }),
      { numRuns: 300 },
    );
  });
});

describe(sampleIndices.name, () => {
  it('is every index when there are few, else a reproducible ascending sample of distinct indices', () => {
    expect(sampleIndices(3, 5, 1)).toEqual([0, 1, 2]);
    const s = sampleIndices(1000, 64, 9);
    expect(s).toHaveLength(64);
    expect(new Set(s).size).toBe(64);
    expect([...s].sort((a, b) => a - b)).toEqual(s);
    expect(s.every((i) => i >= 0 && i < 1000)).toBe(true);
    expect(sampleIndices(1000, 64, 9)).toEqual(s);
    expect(sampleIndices(1000, 64, 10)).not.toEqual(s);
  });
});
