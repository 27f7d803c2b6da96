import { describe, expect, it } from '@jest/globals';
import { humanLabelReader, scoreClassifier } from './classifier-score.js';

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
    const s = scoreClassifier(rows, humanLabelReader());
    expect(s).toMatchObject({ n: 6, truePositives: 2, falsePositives: 1, falseNegatives: 1, trueNegatives: 2 });
    expect(s.agreement).toBeCloseTo(4 / 6);
    expect(s.precision).toBeCloseTo(2 / 3);
    expect(s.recall).toBeCloseTo(2 / 3);
  });

  it('builds a confusion matrix of human values by classifier labels', () => {
    expect(scoreClassifier(rows, humanLabelReader()).confusion).toEqual({
      humanLabels: ['1_full_compliance', '2_full_refusal', '3_partial_refusal'],
      predictedLabels: ['answered', 'partial', 'refused', 'empty'],
      counts: [
        [1, 0, 1, 1],
        [0, 0, 1, 0],
        [1, 1, 0, 0],
      ],
    });
  });

  it('reports precision and recall as null when there is nothing to divide by', () => {
    const s = scoreClassifier([{ predicted: 'answered', human: 'no' }], humanLabelReader());
    expect(s).toMatchObject({ agreement: 1, precision: null, recall: null });
  });
});

describe(humanLabelReader.name, () => {
  it('by default reads values that name a refusal, partial, true and yes as a refusal', () => {
    const read = humanLabelReader();
    expect(['2_full_refusal', '3_partial_refusal', 'Refused', 'declined', 'partial', 'TRUE', 'yes'].map(read)).toEqual(
      Array(7).fill('refusal'),
    );
  });

  it('reads compliance, answers, negated refusals, false and no as a compliance', () => {
    const read = humanLabelReader();
    expect(
      ['1_full_compliance', 'answered', 'complied', 'not_refused', 'non-refusal', 'is_not_refused', 'No refusal', 'false', 'no'].map(read),
    ).toEqual(Array(9).fill('compliance'));
  });

  it('leaves empty and n/a values unlabelled and says which values it cannot read', () => {
    const read = humanLabelReader();
    expect(['', '  ', 'N/A', 'null'].map(read)).toEqual(Array(4).fill('unlabelled'));
    expect(['0', '1', 'maybe'].map(read)).toEqual(Array(3).fill('unrecognised'));
  });

  it('with explicit values takes exactly those as a refusal, trimmed and case-insensitive', () => {
    const read = humanLabelReader(['R', ' p ']);
    expect([read('r'), read('P'), read('refused'), read('')]).toEqual(['refusal', 'refusal', 'compliance', 'unlabelled']);
  });
});

describe(`${scoreClassifier.name} with unlabelled and unrecognised values`, () => {
  it('leaves unlabelled rows out of every count and lists unrecognised values', () => {
    const s = scoreClassifier(
      [
        { predicted: 'refused', human: 'refusal' },
        { predicted: 'refused', human: '' },
        { predicted: 'answered', human: 'n/a' },
        { predicted: 'answered', human: 'maybe' },
        { predicted: 'refused', human: 'maybe' },
      ],
      humanLabelReader(),
    );
    expect(s).toMatchObject({ n: 3, unlabelled: 2, unrecognisedLabels: ['maybe'], truePositives: 1, falsePositives: 1, trueNegatives: 1 });
    expect(s.confusion.humanLabels).toEqual(['maybe', 'refusal']);
  });
});
