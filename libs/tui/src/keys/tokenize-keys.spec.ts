import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { appReducer, initialState, type AppState } from '../state/app.reducer.js';
import { isPrintable, keysFromInk, tokenizeKeys, wheelSteps } from './tokenize-keys.js';

/** Keys as a terminal sends them, one string each. */
const RAW_KEYS = [
  'j',
  'k',
  'G',
  '/',
  'é',
  '😀',
  ' ',
  '\r',
  '\n',
  '\t',
  '\u007F',
  '\b',
  '\u0015',
  '\u0017',
  '\u0001',
  '\u001B',
  '\u001B[A',
  '\u001B[B',
  '\u001B[C',
  '\u001B[D',
  '\u001B[5~',
  '\u001B[6~',
  '\u001B[H',
  '\u001BOF',
  '\u001B[Z',
  '\u001B[1;5A',
  '\u001B[<64;10;5M',
  '\u001Bx',
  '\u0000',
  '\u009B',
  '\u202E',
];

const anyKey = fc.constantFrom(...RAW_KEYS);
// A lone ESC only means escape when nothing follows it in the chunk (as the terminal sends it alone); elsewhere it starts
// a sequence, so the one-by-one property compares keys that are whole on their own.
const wholeKey = fc.constantFrom(...RAW_KEYS.filter((k) => k !== '\u001B'));

const hasControl = (t: string) => [...t].some((c) => !isPrintable(c.codePointAt(0) ?? 0));

/** Every text field the state holds: the prompt and each screen's filter. */
const textFields = (s: AppState) => [s.prompt ?? '', ...Object.values(s.filters)];

const typeInto = (s: AppState, chunk: string) => tokenizeKeys(chunk).reduce((st, key) => appReducer(st, { type: 'prompt/key', key }), s);
const withPrompt = (): AppState => appReducer(initialState(), { type: 'prompt/open' });

describe(tokenizeKeys.name, () => {
  it('regression: keys that arrive in one chunk are each a key (jj moves twice, the Enter after a filter counts)', () => {
    expect(tokenizeKeys('jj')).toEqual(['char:j', 'char:j']);
    expect(tokenizeKeys('/retryable_error\r')).toEqual(['char:/', ...[...'retryable_error'].map((c) => `char:${c}`), 'return']);
    expect(tokenizeKeys('\u007F\u007F\b')).toEqual(['backspace', 'backspace', 'backspace']);
  });

  it('names arrows, paging, home/end, shift-tab, ctrl keys and escape; drops what is not a key here', () => {
    expect(tokenizeKeys('\u001B[A\u001B[B\u001B[C\u001B[D')).toEqual(['up', 'down', 'right', 'left']);
    expect(tokenizeKeys('\u001BOA\u001B[1;5B')).toEqual(['up', 'down']);
    expect(tokenizeKeys('\u001B[5~\u001B[6~\u001B[H\u001B[F\u001B[1~\u001B[4~')).toEqual([
      'pageUp',
      'pageDown',
      'home',
      'end',
      'home',
      'end',
    ]);
    expect(tokenizeKeys('\t\u001B[Z')).toEqual(['tab', 'shiftTab']);
    expect(tokenizeKeys('\u0015\u0017')).toEqual(['ctrl:u', 'ctrl:w']);
    expect(tokenizeKeys('\u001B')).toEqual(['escape']);
    expect(tokenizeKeys('\u001B\u001B[A')).toEqual(['escape', 'up']);
    expect(tokenizeKeys('a b')).toEqual(['char:a', 'space', 'char:b']);
    expect(tokenizeKeys('😀é')).toEqual(['char:😀', 'char:é']);
    // Alt+x, a mouse report, NUL, a C1 control and a bidi override are not keys, and none becomes text.
    expect(tokenizeKeys('\u001Bx\u001B[<0;10;5M\u0000\u009B\u202Ej')).toEqual(['char:j']);
  });

  it('a chunk gives the keys of its parts, in order, however the keys were grouped into writes', () => {
    fc.assert(
      fc.property(fc.array(wholeKey, { maxLength: 30 }), (keys) => {
        expect(tokenizeKeys(keys.join(''))).toEqual(keys.flatMap((k) => tokenizeKeys(k)));
      }),
    );
  });

  it('regression: no control character ever reaches a text field, whatever the chunk', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyKey, fc.string({ unit: 'binary' })), { maxLength: 20 }), (chunks) => {
        let s = withPrompt();
        for (const chunk of chunks) {
          s = typeInto(s, chunk);
          if (s.prompt === null) s = appReducer(s, { type: 'prompt/open' });
          // The old way of typing text must not let one through either.
          s = appReducer(s, { type: 'prompt/type', text: chunk });
        }
        s = appReducer(s, { type: 'prompt/key', key: 'return' });
        expect(textFields(s).filter(hasControl)).toEqual([]);
      }),
    );
  });

  it('typing a chunk into a prompt gives the state that its keys typed one by one give', () => {
    fc.assert(
      fc.property(fc.array(wholeKey, { maxLength: 30 }), (keys) => {
        const together = typeInto(withPrompt(), keys.join(''));
        const oneByOne = keys.reduce(typeInto, withPrompt());
        expect(together).toEqual(oneByOne);
      }),
    );
  });
});

describe('prompt editing', () => {
  it('backspace deletes one character, ctrl-w the word before the cursor, ctrl-u the whole line', () => {
    let s = typeInto(withPrompt(), 'region=us-east  model=llama');
    expect(s.prompt).toBe('region=us-east  model=llama');
    s = typeInto(s, '\u0017');
    expect(s.prompt).toBe('region=us-east  ');
    s = typeInto(s, '\u0017');
    expect(s.prompt).toBe('');
    s = typeInto(s, 'abc\u007F\u007F');
    expect(s.prompt).toBe('a');
    s = typeInto(s, 'bc😀\u007F');
    expect(s.prompt).toBe('abc');
    s = typeInto(s, '\u0015');
    expect(s.prompt).toBe('');
    s = typeInto(s, 'failed\r');
    expect(s).toMatchObject({ prompt: null, filters: { jobs: 'failed' } });
  });
});

describe('mouse wheel reports', () => {
  it('reads SGR wheel notches as wheel keys and every other mouse report as nothing', () => {
    expect(tokenizeKeys('\u001B[<64;10;5M\u001B[<65;1;1M')).toEqual(['wheelUp', 'wheelDown']);
    // With shift / ctrl held (bits 4 and 16) still the wheel; releases (`m`), clicks, drags and sideways wheels are not keys.
    expect(tokenizeKeys('\u001B[<68;3;3M\u001B[<81;3;3M')).toEqual(['wheelUp', 'wheelDown']);
    expect(tokenizeKeys('\u001B[<0;3;4M\u001B[<0;3;4m\u001B[<32;5;5M\u001B[<66;1;1M\u001B[<64;1;1m')).toEqual([]);
    expect(tokenizeKeys('j\u001B[<65;10;5Mk')).toEqual(['char:j', 'wheelDown', 'char:k']);
  });

  it("reads Ink's form of a report (its ESC stripped) as the report, not as characters", () => {
    const key = { meta: false, ctrl: false } as Parameters<typeof keysFromInk>[1];
    expect(keysFromInk('[<65;10;5M', key)).toEqual(['wheelDown']);
    expect(keysFromInk('[<64;10;5M', key)).toEqual(['wheelUp']);
    expect(keysFromInk('[<0;10;5M', key)).toEqual([]);
    expect(wheelSteps('wheelDown')).toEqual(['down', 'down', 'down']);
  });

  it('never puts a wheel report into an open prompt', () => {
    let s = appReducer(initialState(), { type: 'prompt/open' });
    for (const k of [...tokenizeKeys('ab\u001B[<65;10;5M\u001B[<64;10;5Mc'), ...keysFromInk('[<65;1;1M', { meta: false } as never)])
      s = appReducer(s, { type: 'prompt/key', key: k });
    expect(s.prompt).toBe('abc');
  });
});
