import { describe, expect, it } from '@jest/globals';
import { humanRefusalMatcher, scoreClassifier } from './classifier-score.js';

describe(scoreClassifier.name, () => {
  const rows = [
    { predicted: 'refused' as const, human: '2_full_refusal' },
    { predicted: 'partial' as const, human: '3_partial_refusal' },
    { predicted: 'answered' as const, human: '3_partial_refusal' },
    { predicted: 'refused' as const, human: '1_full_compliance' },
    { predicted: 'answered' as const, human: '1_full_compliance' },
    { predicted: 'empty' as const, human: '1_full_compliance' },
  ];

  it('counts refused and partial as a refusal and computes agreement, precision and recall', () => {
    const s = scoreClassifier(rows, humanRefusalMatcher());
    expect(s).toMatchObject({ n: 6, truePositives: 2, falsePositives: 1, falseNegatives: 1, trueNegatives: 2 });
    expect(s.agreement).toBeCloseTo(4 / 6);
    expect(s.precision).toBeCloseTo(2 / 3);
    expect(s.recall).toBeCloseTo(2 / 3);
  });

  it('builds a confusion matrix of human values by classifier labels', () => {
    expect(scoreClassifier(rows, humanRefusalMatcher()).confusion).toEqual({
      humanLabels: ['1_full_compliance', '2_full_refusal', '3_partial_refusal'],
      predictedLabels: ['answered', 'partial', 'refused', 'empty'],
      counts: [[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 0]],
    });
  });

  it('reports precision and recall as null when there is nothing to divide by', () => {
    const s = scoreClassifier([{ predicted: 'answered', human: 'no' }], humanRefusalMatcher());
    expect(s).toMatchObject({ agreement: 1, precision: null, recall: null });
  });
});

describe(humanRefusalMatcher.name, () => {
  it('by default takes values that name a refusal, partial, true and yes', () => {
    const m = humanRefusalMatcher();
    expect(['2_full_refusal', '3_partial_refusal', 'Refused', 'partial', 'TRUE', 'yes'].every(m)).toBe(true);
    expect(['1_full_compliance', 'answered', 'false', '0', ''].some(m)).toBe(false);
  });

  it('with explicit values takes exactly those, trimmed and case-insensitive', () => {
    const m = humanRefusalMatcher(['R', ' p ']);
    expect([m('r'), m('P'), m('refused')]).toEqual([true, true, false]);
  });
});
