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
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\s]+/gu, ' ')
    .trim();
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Character n-gram counts of normalised text, padded with one space each side so one-character answers have a gram. */
export function charNgrams(text: string, n = NGRAM): Map<string, number> {
  const grams = new Map<string, number>();
  const norm = normaliseText(text);
  if (norm === '') return grams;
  const padded = ` ${norm} `;
  if (!SURROGATE.test(padded)) {
    // No astral characters: UTF-16 units are code points, and slicing the string is several times faster (the same
    // grams in the same order as below).
    if (padded.length <= n) {
      grams.set(padded, 1);
      return grams;
    }
    for (let i = 0; i + n <= padded.length; i++) {
      const g = padded.slice(i, i + n);
      grams.set(g, (grams.get(g) ?? 0) + 1);
    }
    return grams;
  }
  const chars = Array.from(padded); // code points, so astral characters are not split
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
  return cosineOfSquares(a, b, squaredNorm(a), squaredNorm(b));
}

/** Sum of squared counts (exact: integers), for {@link cosineOfSquares}. */
export function squaredNorm(m: Map<unknown, number>): number {
  let s = 0;
  for (const n of m.values()) s += n * n;
  return s;
}

/** {@link cosine} with both vectors' {@link squaredNorm} computed once by the caller (the same result, bit for bit). */
export function cosineOfSquares<K>(a: Map<K, number>, b: Map<K, number>, squaresA: number, squaresB: number): number {
  if (a.size === 0 && b.size === 0) return 1;
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [g, n] of small) dot += n * (large.get(g) ?? 0);
  // One square root of integer products: identical vectors give exactly 1.
  return Math.min(1, dot / Math.sqrt(squaresA * squaresB));
}

/**
 * The same counts as {@link charNgrams}, keyed by number where a gram is three UTF-16 units of the Basic Multilingual
 * Plane (u1·2³² + u2·2¹⁶ + u3, exact in a double) and by the gram itself otherwise: no string per gram, which makes
 * large sums of vectors several times cheaper. Only for comparing such maps with each other.
 */
export function gramCounts(text: string): Map<number | string, number> {
  const grams = new Map<number | string, number>();
  const norm = normaliseText(text);
  if (norm === '') return grams;
  const padded = ` ${norm} `;
  const key = (g: string, at = 0) => g.charCodeAt(at) * 4294967296 + g.charCodeAt(at + 1) * 65536 + g.charCodeAt(at + 2);
  if (SURROGATE.test(padded)) {
    // Grams of BMP characters get the same numeric key as in any other text; those with an astral character keep theirs.
    for (const [g, n] of charNgrams(text)) {
      const k = g.length === NGRAM && !SURROGATE.test(g) ? key(g) : g;
      grams.set(k, (grams.get(k) ?? 0) + n);
    }
    return grams;
  }
  for (let i = 0; i + NGRAM <= padded.length; i++) {
    const k = key(padded, i);
    grams.set(k, (grams.get(k) ?? 0) + 1);
  }
  return grams;
}

/** Similarity of two answers in [0, 1]: 1 for the same text up to case, punctuation and spacing; 0 when they share no 3-gram. */
export function textSimilarity(a: string, b: string): number {
  return cosine(charNgrams(a), charNgrams(b));
}
