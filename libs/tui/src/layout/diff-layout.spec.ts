import { describe, expect, it } from '@jest/globals';
import type { DiffFieldView } from '@beacon/domain';
import { diffLines, splitField, unifiedField, wrapSegments } from './diff-layout.js';

const text = (line: readonly { text: string }[] | undefined) => {
  if (!line) throw new Error('no such line');
  return line.map((s) => s.text).join('');
};
const system: DiffFieldView = {
  field: 'systemPrompt',
  equal: false,
  a: 'You are a helpful assistant.',
  b: 'You are a helpful, honest assistant.',
  changes: [
    { op: 'equal', text: 'You are a ' },
    { op: 'removed', text: 'helpful' },
    { op: 'added', text: 'helpful, honest' },
    { op: 'equal', text: ' assistant.' },
  ],
};
const same: DiffFieldView = {
  field: 'userPrompt',
  equal: true,
  a: 'one two three four five six seven eight nine ten',
  b: 'same',
  changes: [],
};

describe(wrapSegments.name, () => {
  it('wraps at word boundaries, keeps tones, honours newlines and breaks words longer than a line', () => {
    const lines = wrapSegments(
      [
        { text: 'alpha beta ', tone: 'equal' },
        { text: 'gamma\ndelta', tone: 'added' },
        { text: ' abcdefghijkl', tone: 'equal' },
      ],
      10,
    );
    expect(lines.map(text)).toEqual(['alpha beta', 'gamma', 'delta', 'abcdefghij', 'kl']);
    expect(lines[1]).toEqual([{ text: 'gamma', tone: 'added' }]);
  });
});

describe(unifiedField.name, () => {
  it('shows removed and added words in place, marked in text when there is no colour', () => {
    const lines = unifiedField(system, 80, true);
    expect(text(lines[0])).toMatch(/^── system prompt \(differs\) ─+$/);
    expect(text(lines[1])).toBe('You are a [-helpful-]{+helpful, honest+} assistant.');
    expect(lines[1]?.find((s) => s.tone === 'added')?.text).toBe('{+helpful, honest+}');
    expect(text(unifiedField(system, 80, false)[1])).toBe('You are a helpfulhelpful, honest assistant.');
  });

  it('cuts a field that is the same on both sides to two lines and says how many are hidden; expanded, shows them all', () => {
    const lines = unifiedField(same, 12, true);
    expect(lines).toHaveLength(4);
    expect(text(lines[3])).toBe('… +3 (x)');
    expect(unifiedField(same, 80, true)).toHaveLength(2);
    expect(unifiedField(same, 12, true, true).slice(1).map(text)).toEqual(['one two', 'three four', 'five six', 'seven eight', 'nine ten']);
  });
});

describe(splitField.name, () => {
  it('puts a on the left with its removed words and b on the right with its added words', () => {
    const [, row] = splitField(system, 100, true);
    const [left, right] = text(row).split(' │ ');
    expect(left?.trim()).toBe('You are a [-helpful-] assistant.');
    expect(right).toBe('You are a {+helpful, honest+} assistant.');
  });
});

describe('equal fields side by side', () => {
  it('regression: a field cut to two lines says so, and x shows every line (the batched questions are all visible)', () => {
    const batch: DiffFieldView = {
      field: 'userPrompt',
      equal: true,
      a: ['Answer each question:', '1. What is 2+2?', '2. Who won?', '3. What happened in 1989?', '4. Capital of France?'].join('\n'),
      b: '',
      changes: [],
    };
    const cut = splitField(batch, 80, true).map(text);
    expect(cut).toHaveLength(4);
    expect(cut[3]).toBe('… 3 more lines, the same on both sides (x shows them)');
    const all = splitField(batch, 80, true, true).map(text);
    expect(all).toHaveLength(6);
    expect(all[5]).toMatch(/^4\. Capital of France\? +│ 4\. Capital of France\?$/);
  });
});

describe(diffLines.name, () => {
  it('lists differing fields before equal ones', () => {
    const heads = diffLines([same, system], 60, true, true)
      .filter((l) => l[0]?.tone === 'heading' && text(l).startsWith('──'))
      .map(text);
    expect(heads[0]).toContain('system prompt (differs)');
    expect(heads[1]).toContain('user prompt (same)');
  });
});
