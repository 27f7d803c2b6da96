import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { appReducer, initialState, type AppAction, type AppState } from './app.reducer.js';
import { isRefPair, rowMatches, searchWords, stepSearch } from './search.js';

/** The matches of a search, counted the plain way: every row index whose lower-cased text holds each word. */
function expectedMatches(texts: readonly string[], words: readonly string[]): number[] {
  const out: number[] = [];
  texts.forEach((t, i) => {
    if (words.length > 0 && words.every((w) => t.toLowerCase().split(w).length > 1)) out.push(i);
  });
  return out;
}

describe(stepSearch.name, () => {
  it('lands on the next / previous matching row, wrapping at the ends, and counts the matches as the rows do', () => {
    const row = fc
      .array(fc.constantFrom('eu-west', 'us-east', 'refused', 'answered', 'q1', 'Q2'), { maxLength: 4 })
      .map((w) => w.join(' '));
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 40 }),
        fc.subarray(['eu-west', 'refused', 'q2']),
        fc.nat(45),
        fc.constantFrom<1 | -1>(1, -1),
        fc.boolean(),
        (texts, words, from, direction, inclusive) => {
          const matches = expectedMatches(texts, words);
          const hit = stepSearch(texts, words, from, direction, inclusive);
          if (matches.length === 0) return expect(hit).toBeNull();
          const after = matches.filter((i) => (direction > 0 ? (inclusive ? i >= from : i > from) : inclusive ? i <= from : i < from));
          const want = direction > 0 ? (after[0] ?? matches[0]) : (after.at(-1) ?? matches.at(-1));
          expect(hit).toEqual({ index: want, ordinal: matches.indexOf(want!) + 1, total: matches.length });
        },
      ),
    );
  });

  it('n from the last match wraps to the first, N from the first to the last', () => {
    const texts = ['a eu-west', 'b us-east', 'c eu-west', 'd us-east'];
    expect(stepSearch(texts, ['eu-west'], 2, 1)).toEqual({ index: 0, ordinal: 1, total: 2 });
    expect(stepSearch(texts, ['eu-west'], 0, -1)).toEqual({ index: 2, ordinal: 2, total: 2 });
    expect(stepSearch(texts, ['eu-west'], 0, 1, true)).toEqual({ index: 0, ordinal: 1, total: 2 });
  });

  it('no words match nothing; words are case-insensitive and all must be there', () => {
    expect(rowMatches('anything', [])).toBe(false);
    expect(rowMatches('e953 EU-West refused', searchWords('eu-west REFUSED'))).toBe(true);
    expect(rowMatches('e953 eu-west answered', searchWords('eu-west refused'))).toBe(false);
  });

  it('tells two refs from words to search', () => {
    expect(isRefPair('953 a:17')).toBe(true);
    expect(isRefPair('l:953, l:955')).toBe(true);
    expect(isRefPair('e:1 e:2')).toBe(true);
    expect(isRefPair('refused answered')).toBe(false);
    expect(isRefPair('953')).toBe(false);
    expect(isRefPair('953 954 955')).toBe(false);
  });
});

describe('search in the app state', () => {
  /** `/`, the prompt cleared (it opens with the text in force), `text`, enter. */
  const type = (s: AppState, text: string) =>
    [{ type: 'prompt/open' }, { type: 'prompt/key', key: 'ctrl:u' }, { type: 'prompt/type', text }, { type: 'prompt/accept' }].reduce(
      (st, a) => appReducer(st, a as AppAction),
      s,
    );
  const lanes = ['e1 us-east m q1 succeeded answered', 'e2 eu-west m q1 succeeded refused', 'e3 us-east m q2', 'e4 eu-west m q2'];

  it('timeline: key=value words filter the lanes, the other words are the search; n / N step through its matches', () => {
    let s = type(initialState('job-1'), 'model=m eu-west');
    expect(s.filters.timeline).toBe('model=m eu-west');
    const step = (direction: 1 | -1, inclusive = false) =>
      appReducer(s, { type: 'search/step', screen: 'timeline', texts: lanes, direction, inclusive, count: 4, height: 2 });
    s = step(1, true);
    expect(s.cursors.timeline).toEqual({ index: 1, top: 0 });
    expect(s.status).toBe('match 1/2 for "eu-west"');
    s = step(1);
    expect(s.cursors.timeline).toEqual({ index: 3, top: 2 });
    expect(s.status).toBe('match 2/2 for "eu-west"');
    s = step(1);
    expect(s.cursors.timeline.index).toBe(1);
    s = step(-1);
    expect(s.cursors.timeline.index).toBe(3);
  });

  it('says so when there is no search or no match, and the cursor stays', () => {
    const s = initialState('job-1');
    const none = appReducer(s, { type: 'search/step', screen: 'timeline', texts: lanes, direction: 1, count: 4, height: 2 });
    expect(none.status).toContain('no search');
    const t = type(s, 'ap-south');
    const miss = appReducer(t, { type: 'search/step', screen: 'timeline', texts: lanes, direction: 1, count: 4, height: 2 });
    expect(miss.status).toBe('no match for "ap-south" in the loaded lanes');
    expect(miss.cursors.timeline).toBe(t.cursors.timeline);
  });

  it('diff: two refs compare them, any other text is a search that n steps through from the last match', () => {
    let s = appReducer(initialState(), { type: 'open/diff', pairs: [], refs: { a: '1', b: '2', label: '1 → 2' } });
    s = type(s, 'helpful');
    expect(s.diff.refs).toMatchObject({ a: '1', b: '2' });
    expect(s.filters.diff).toBe('helpful');
    const lines = ['── system prompt', 'You are a helpful', 'x', 'a helpful one', 'y'];
    // The diff's cursor is its top line; near the end it cannot go lower, but the next match still moves on.
    const step = (st: AppState) => appReducer(st, { type: 'search/step', screen: 'diff', texts: lines, direction: 1, count: 2, height: 1 });
    s = step(s);
    expect(s.searchAt.diff).toBe(1);
    s = step(s);
    expect(s.searchAt.diff).toBe(3);
    expect(s.cursors.diff.index).toBe(1);
    expect(step(s).searchAt.diff).toBe(1);
    s = type(s, '953 a:17');
    expect(s.diff.refs).toMatchObject({ a: '953', b: 'a:17' });
  });
});
