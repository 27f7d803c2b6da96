/**
 * Lexical similarity of two answers: cosine of their character 3-gram count vectors after normalisation.
 *
 * Character n-grams need no tokeniser, so Chinese and Japanese (no spaces between words) work as well as English;
 * they tolerate inflection and small edits, and the count vectors keep short answers ("4", "Paris.") meaningful,
 * where word-set Jaccard over words of three letters or more (the old runner's measure) sees nothing at all.
 */

/** Length of the character n-grams. */
export const NGRAM = 3;

/** NFKC (folds full-width forms), lower case, punctuation and symbols to spaces, whitespace collapsed. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\p{P}\p{S}\s]+/gu, ' ').trim();
}

/** Character n-gram counts of normalised text, padded with one space each side so one-character answers have a gram. */
export function charNgrams(text: string, n = NGRAM): Map<string, number> {
  const grams = new Map<string, number>();
  const norm = normaliseText(text);
  if (norm === '') return grams;
  const chars = Array.from(` ${norm} `); // code points, so astral characters are not split
  if (chars.length <= n) {
    grams.set(chars.join(''), 1);
    return grams;
  }
  for (let i = 0; i + n <= chars.length; i++) {
    const g = chars.slice(i, i + n).join('');
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

/** Cosine similarity of two gram-count vectors in [0, 1]; two empty texts are identical (1), one empty text shares nothing (0). */
export function cosine(a: Map<string, number>, b: Map<string, number>): number {
  if (a.size === 0 && b.size === 0) return 1;
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [g, n] of small) dot += n * (large.get(g) ?? 0);
  const squares = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n * n, 0);
  // One square root of integer products: identical vectors give exactly 1.
  return Math.min(1, dot / Math.sqrt(squares(a) * squares(b)));
}

/** Similarity of two answers in [0, 1]: 1 for the same text up to case, punctuation and spacing; 0 when they share no 3-gram. */
export function textSimilarity(a: string, b: string): number {
  return cosine(charNgrams(a), charNgrams(b));
}
