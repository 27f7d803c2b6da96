import { parseFilter } from './filter-query.js';

/** The words of a `/` search, lower-cased; a row matches when its text holds every one. */
export function searchWords(text: string): readonly string[] {
  return parseFilter(text).words;
}

/** Whether one row's text holds every word (case-insensitive); no words match nothing, so `n` with no search says so. */
export function rowMatches(text: string, words: readonly string[]): boolean {
  if (words.length === 0) return false;
  const hay = text.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** Where a step of the search lands: the row, which match it is (1-based) and how many rows match. */
export interface SearchHit {
  readonly index: number;
  readonly ordinal: number;
  readonly total: number;
}

/**
 * The next (`direction` 1) or previous (-1) row after `from` whose text holds every word, wrapping around the ends as
 * vim's `n`/`N` do; with `inclusive`, `from` itself counts (the first jump after a new search). Null when none matches.
 */
export function stepSearch(
  texts: readonly string[],
  words: readonly string[],
  from: number,
  direction: 1 | -1,
  inclusive = false,
): SearchHit | null {
  const matches: number[] = [];
  for (let i = 0; i < texts.length; i++) if (rowMatches(texts[i] ?? '', words)) matches.push(i);
  if (matches.length === 0) return null;
  let k: number;
  if (direction > 0) {
    k = matches.findIndex((i) => (inclusive ? i >= from : i > from));
    if (k < 0) k = 0;
  } else {
    k = matches.findLastIndex((i) => (inclusive ? i <= from : i < from));
    if (k < 0) k = matches.length - 1;
  }
  // `k` is a valid index of the non-empty `matches`.
  return { index: matches[k]!, ordinal: k + 1, total: matches.length };
}

/**
 * What `/` typed on a screen with search means. On the timeline, `key=value` words filter the lanes (as before) and
 * the other words are the search; on the diff, two refs (`953 a:17`, `l:955`) are a pair to compare and any other
 * text is the search.
 */
export function isRefPair(text: string): boolean {
  const tokens = text.split(/[\s,]+/).filter(Boolean);
  return tokens.length === 2 && tokens.every((t) => /^(?:[ael]:)?\d+$/.test(t));
}
