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

  it('cuts a field that is the same on both sides to two lines', () => {
    const lines = unifiedField(same, 12, true);
    expect(lines).toHaveLength(3);
    expect(text(lines[2]).endsWith('…')).toBe(true);
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

describe(diffLines.name, () => {
  it('lists differing fields before equal ones', () => {
    const heads = diffLines([same, system], 60, true, true)
      .filter((l) => l[0]?.tone === 'heading' && text(l).startsWith('──'))
      .map(text);
    expect(heads[0]).toContain('system prompt (differs)');
    expect(heads[1]).toContain('user prompt (same)');
  });
});
