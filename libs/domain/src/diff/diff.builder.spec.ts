import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { DiffSideView, WordChange } from '../views/api-views.types.js';
import { DIFF_FIELDS, buildDiff, fieldText, wordChanges } from './diff.builder.js';

const side = (over: Partial<DiffSideView> = {}): DiffSideView => ({
  ref: 'e:1',
  kind: 'execution',
  executionId: '1',
  attemptId: '10',
  jobId: '5',
  questionId: 'q1',
  modelId: 'm',
  region: 'eu',
  replicate: 0,
  attempt: 1,
  startedAt: '2025-01-01T00:00:00.000Z',
  systemPrompt: 'You are a helpful assistant.',
  userPrompt: 'What happened in 1989?',
  parameters: { temperature: 0, max_tokens: 256 },
  response: 'I will do my best to answer.',
  classification: 'answered',
  finishReason: 'stop',
  ...over,
});

const join = (changes: readonly WordChange[], keep: WordChange['op']): string =>
  changes
    .filter((c) => c.op === 'equal' || c.op === keep)
    .map((c) => c.text)
    .join('');

/** Text made of a few words and varied whitespace, so that diffs have both shared and differing runs. */
const wordy = fc
  .array(fc.constantFrom('the', 'cat', 'sat', 'on', 'mat', 'I', "can't", 'help', '1989', ' ', '  ', '\n', '\t', ',', 'é'), {
    maxLength: 30,
  })
  .map((xs) => xs.join(''));

describe(wordChanges.name, () => {
  it('gives no changes for two empty strings and one equal run for equal text', () => {
    expect(wordChanges('', '')).toEqual([]);
    expect(wordChanges('same text', 'same text')).toEqual([{ op: 'equal', text: 'same text' }]);
  });

  it('gives only an added or only a removed run against an empty side', () => {
    expect(wordChanges('', 'new words')).toEqual([{ op: 'added', text: 'new words' }]);
    expect(wordChanges('old words', '')).toEqual([{ op: 'removed', text: 'old words' }]);
  });

  it('groups a run of word changes into one removed and one added run', () => {
    const changes = wordChanges('I will do my best to answer.', 'I will not be able to answer.');
    expect(changes).toEqual([
      { op: 'equal', text: 'I will ' },
      { op: 'removed', text: 'do my best' },
      { op: 'added', text: 'not be able' },
      { op: 'equal', text: ' to answer.' },
    ]);
  });

  it('never emits empty runs or two equal runs in a row', () => {
    fc.assert(
      fc.property(wordy, wordy, (a, b) => {
        const changes = wordChanges(a, b);
        expect(changes.every((c) => c.text !== '')).toBe(true);
        changes.forEach((c, i) => {
          if (i > 0 && c.op === 'equal') expect(changes[i - 1]!.op).not.toBe('equal');
        });
      }),
    );
  });

  it('rebuilds a from equal + removed runs and b from equal + added runs', () => {
    fc.assert(
      fc.property(wordy, wordy, (a, b) => {
        const changes = wordChanges(a, b);
        expect(join(changes, 'removed')).toBe(a);
        expect(join(changes, 'added')).toBe(b);
      }),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const changes = wordChanges(a, b);
        expect(join(changes, 'removed')).toBe(a);
        expect(join(changes, 'added')).toBe(b);
      }),
    );
  });

  it('has no removed or added runs exactly when the texts are equal', () => {
    fc.assert(
      fc.property(wordy, wordy, (a, b) => {
        const changed = wordChanges(a, b).some((c) => c.op !== 'equal');
        expect(changed).toBe(a !== b);
      }),
    );
  });
});

describe(fieldText.name, () => {
  it('reads absent values as the empty string and parameters as canonical JSON', () => {
    expect(fieldText(side({ systemPrompt: null }), 'systemPrompt')).toBe('');
    expect(fieldText(side({ parameters: undefined }), 'parameters')).toBe('');
    expect(fieldText(side({ parameters: { b: 1, a: [2, { d: 3, c: 4 }] } }), 'parameters')).toBe(
      fieldText(side({ parameters: { a: [2, { c: 4, d: 3 }], b: 1 } }), 'parameters'),
    );
  });
});

describe(buildDiff.name, () => {
  it('compares every field in display order and flags equal ones', () => {
    const d = buildDiff(side(), side({ response: "I'm sorry, but I can't answer.", classification: 'refused' }));
    expect(d.fields.map((f) => f.field)).toEqual([...DIFF_FIELDS]);
    expect(Object.fromEntries(d.fields.map((f) => [f.field, f.equal]))).toEqual({
      systemPrompt: true,
      userPrompt: true,
      parameters: true,
      response: false,
      classification: false,
    });
    const classification = d.fields.find((f) => f.field === 'classification')!;
    expect(classification.changes).toEqual([
      { op: 'removed', text: 'answered' },
      { op: 'added', text: 'refused' },
    ]);
  });

  it('treats parameters differing only in key order as equal, and null as equal to empty text', () => {
    const d = buildDiff(
      side({ parameters: { temperature: 0, max_tokens: 256 }, systemPrompt: null }),
      side({ parameters: { max_tokens: 256, temperature: 0 }, systemPrompt: '' }),
    );
    expect(d.fields.every((f) => f.equal)).toBe(true);
    expect(d.fields.find((f) => f.field === 'systemPrompt')!.changes).toEqual([]);
  });

  it("keeps each field's texts and a change list consistent with them", () => {
    const d = buildDiff(side(), side({ userPrompt: 'What happened in 1990?', parameters: { temperature: 0.7 } }));
    for (const f of d.fields) {
      expect(join(f.changes, 'removed')).toBe(f.a);
      expect(join(f.changes, 'added')).toBe(f.b);
      expect(f.equal).toBe(f.a === f.b);
    }
  });
});
