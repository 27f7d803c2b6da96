import { describe, expect, it } from '@jest/globals';
import { escapeControlChars, hasControlChars } from './control-chars.js';

describe('control characters', () => {
  it('finds C0, DEL and C1 controls, and nothing else', () => {
    for (const c of ['\u0000', '\u001b', '\n', '\u007f', '\u0085', '\u009f'])
      expect({ c, found: hasControlChars(`a${c}b`) }).toEqual({ c, found: true });
    for (const text of ['plain', 'région ü', '\u00a0nbsp', '😀', ''])
      expect({ text, found: hasControlChars(text) }).toEqual({ text, found: false });
  });

  it('escapes every control character as \\uXXXX and bounds the length before escaping', () => {
    expect(escapeControlChars('a\u0000b\u001bc\u007fd\u0085é')).toBe('a\\u0000b\\u001bc\\u007fd\\u0085é');
    expect(escapeControlChars('\u0000\u0000\u0000', 2)).toBe('\\u0000\\u0000');
    expect(escapeControlChars('x'.repeat(10), 4)).toBe('xxxx');
    // The global regex behind it keeps no state between calls.
    expect([hasControlChars('\u0000'), hasControlChars('\u0000'), escapeControlChars('\u0001'), escapeControlChars('\u0001')]).toEqual([
      true,
      true,
      '\\u0001',
      '\\u0001',
    ]);
  });
});
