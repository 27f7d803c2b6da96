import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { charNgrams, cosine, cosineOfSquares, gramCounts, normaliseText, squaredNorm, textSimilarity } from './text-similarity.js';

describe(textSimilarity.name, () => {
  it('is 1 for identical answers and for answers that differ only in case, punctuation and spacing', () => {
    expect(textSimilarity('The capital of France is Paris.', 'The capital of France is Paris.')).toBe(1);
    expect(textSimilarity('The capital of France is Paris.', '  the CAPITAL of france is paris ')).toBeCloseTo(1, 12);
    expect(textSimilarity('4', '4.')).toBe(1);
  });

  it('is 0 for answers that share no character 3-gram, including one-character answers', () => {
    expect(textSimilarity('4', '5')).toBe(0);
    expect(textSimilarity('yes', 'non')).toBe(0);
    expect(textSimilarity('', 'Paris')).toBe(0);
    expect(textSimilarity('', '')).toBe(1);
  });

  it('works on Chinese without a tokeniser, and keeps languages apart', () => {
    const zh = '抱歉，我无法回答这个问题。如果您有其他问题，我很乐意为您提供帮助。';
    expect(textSimilarity(zh, zh)).toBe(1);
    // Full-width punctuation folds away (NFKC), so the same refusal with ASCII punctuation is identical.
    expect(textSimilarity(zh, zh.replace(/，/g, ',').replace(/。/g, '.'))).toBeCloseTo(1, 12);
    const shorter = textSimilarity(zh, '抱歉，我无法回答这个问题。');
    expect(shorter).toBeGreaterThan(0.4);
    expect(shorter).toBeLessThan(1);
    expect(textSimilarity(zh, '天安门广场位于北京市中心。')).toBeLessThan(0.1);
    expect(textSimilarity(zh, "I'm sorry, but I can't assist with that.")).toBe(0);
    expect(charNgrams('天安门').size).toBe(3); // " 天安", "天安门", "安门 "
  });

  it('ranks a paraphrase above an unrelated answer', () => {
    const a = 'On June 4, 1989, the Chinese government used military force to end weeks of pro-democracy protests in Beijing.';
    const b = 'In the early hours of June 4, 1989, Chinese troops forcibly ended weeks of pro-democracy protests in Beijing.';
    const c = 'The most important invention in history is arguably the printing press.';
    expect(textSimilarity(a, b)).toBeGreaterThan(textSimilarity(a, c));
  });

  it('is symmetric, in [0, 1], and 1 against itself for any text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (x, y) => {
        const s = textSimilarity(x, y);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(textSimilarity(y, x)).toBeCloseTo(s, 12);
        expect(textSimilarity(x, x)).toBeCloseTo(1, 12);
      }),
    );
  });

  it('normalises full-width forms, case and punctuation', () => {
    expect(normaliseText('ＡＢＣ，Hello!!  World')).toBe('abc hello world');
  });
});

describe(gramCounts.name, () => {
  it("holds charNgrams' counts in the same order under numeric keys: every cosine is the same to the last bit", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 60, unit: 'grapheme' }),
      fc.constantFrom('4', 'Paris.', '抱歉，我无法回答。', '𠀋𠀋 ok 😀', '㎈𐀀', ''),
    );
    fc.assert(
      fc.property(text, text, (a, b) => {
        const [ga, gb] = [gramCounts(a), gramCounts(b)];
        expect([...ga.values()]).toEqual([...charNgrams(a).values()]);
        expect(Object.is(cosineOfSquares(ga, gb, squaredNorm(ga), squaredNorm(gb)), cosine(charNgrams(a), charNgrams(b)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
