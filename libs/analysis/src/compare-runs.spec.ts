import { describe, expect, it } from '@jest/globals';
import { cell } from './analysis.fixtures.js';
import { compareRuns, specDifferences } from './compare-runs.js';

const spec = (over: Record<string, unknown> = {}) => ({
  id: 'x',
  questions: [
    { id: 'q1', text: 'Q1?' },
    { id: 'q2', text: 'Q2?' },
  ],
  models: [{ id: 'm' }],
  regions: [{ id: 'us' }, { id: 'eu' }],
  repeats: 1,
  prompt: { version: 'v1', template: 't' },
  parameters: { temperature: 0.1 },
  ...over,
});

describe(compareRuns.name, () => {
  it('lists the cells whose label or state changed, and nothing for identical runs', () => {
    const a = [
      cell('q1', 'm', 'us', 'answered', 'Yes.'),
      cell('q1', 'm', 'eu', 'answered', 'Yes.'),
      cell('q2', 'm', 'us', 'refused', 'No.'),
      cell('q2', 'm', 'eu', 'answered', 'x'),
    ];
    const same = compareRuns(
      { id: 'A', spec: spec(), cells: a },
      { id: 'B', spec: spec({ id: 'y' }), cells: a.map((c) => ({ ...c, id: String(Number(c.id) + 100) })) },
    );
    expect(same).toMatchObject({ compared: 4, changed: [], onlyInA: [], onlyInB: [], specDifferences: [], sameLabelDifferentText: 0 });

    const b = [
      cell('q1', 'm', 'us', 'refused', "I can't help."),
      cell('q1', 'm', 'eu', 'answered', 'Yes, indeed.'),
      cell('q2', 'm', 'us', null, null, 0, 'failed'),
      cell('q2', 'm', 'eu', 'answered', 'x'),
    ];
    const r = compareRuns({ id: 'A', spec: spec(), cells: a }, { id: 'B', spec: spec(), cells: b });
    expect(r.changed.map((c) => [c.questionId, c.region, c.a.outcome, c.b.outcome])).toEqual([
      ['q1', 'us', 'answered', 'refused'],
      ['q2', 'us', 'refused', 'failed'],
    ]);
    expect(r.changed[0]!.responseSimilarity).toBe(0);
    expect(r.changed[1]!.responseSimilarity).toBeNull();
    expect(r.sameLabelDifferentText).toBe(1);
  });

  it('compares only the cells both runs have and says how the specs differ', () => {
    const a = [cell('q1', 'm', 'us', 'answered', 'a'), cell('q1', 'm', 'eu', 'answered', 'a')];
    const b = [cell('q1', 'm', 'us', 'answered', 'a'), cell('q1', 'm', 'ap', 'answered', 'a')];
    const r = compareRuns(
      { id: 'A', spec: spec(), cells: a },
      { id: 'B', spec: spec({ regions: [{ id: 'us' }, { id: 'ap' }] }), cells: b },
    );
    expect(r).toMatchObject({ compared: 1, changed: [], onlyInA: ['q1|m|eu|0'], onlyInB: ['q1|m|ap|0'] });
    expect(r.specDifferences).toEqual(['regions: only in A eu; only in B ap']);
  });
});

describe(specDifferences.name, () => {
  it('reports repeats, prompt, parameters and reworded questions, ignoring ids', () => {
    expect(specDifferences(spec(), spec({ id: 'other', createdAt: 'now' }))).toEqual([]);
    expect(
      specDifferences(
        spec(),
        spec({
          repeats: 3,
          prompt: { version: 'v1', template: 'u' },
          parameters: { temperature: 0.7 },
          questions: [
            { id: 'q1', text: 'Q1 reworded?' },
            { id: 'q2', text: 'Q2?' },
          ],
        }),
      ),
    ).toEqual([
      'repeats: 1 vs 3',
      'prompt: v1 vs v1 (same version, different template)',
      'parameters: {"temperature":0.1} vs {"temperature":0.7}',
      'question text differs: q1',
    ]);
  });
});
