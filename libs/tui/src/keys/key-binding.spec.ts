import { describe, expect, it } from '@jest/globals';
import type { Key } from 'ink';
import { themeFromEnv } from '../views/theme.js';
import { footerText, matchKey, type KeyTable } from './key-binding.js';
import { GLOBAL_KEYS, JOBS_KEYS, SCREEN_KEYS, SCREENS, TIMELINE_KEYS } from './key-tables.js';
import { keysFromInk } from './tokenize-keys.js';

const key = (over: Partial<Key> = {}): Key => ({
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
  ...over,
});

describe(matchKey.name, () => {
  it('maps characters and special keys to the commands of a table', () => {
    const match = (table: KeyTable, input: string, k: Key) => keysFromInk(input, k).map((n) => matchKey(table, n));
    expect(match(TIMELINE_KEYS, 'j', key())).toEqual(['down']);
    expect(match(TIMELINE_KEYS, '', key({ downArrow: true }))).toEqual(['down']);
    expect(match(TIMELINE_KEYS, '+', key())).toEqual(['zoomIn']);
    expect(match(TIMELINE_KEYS, '', key({ return: true }))).toEqual(['details']);
    expect(match(GLOBAL_KEYS, '', key({ tab: true, shift: true }))).toEqual(['previous']);
    expect(match(TIMELINE_KEYS, 'j', key({ ctrl: true }))).toEqual([undefined]);
    expect(match(TIMELINE_KEYS, 'jj', key())).toEqual(['down', 'down']);
  });

  it('no screen binds a key the app already uses', () => {
    const globalKeys = new Set(GLOBAL_KEYS.flatMap((b) => b.keys));
    for (const s of SCREENS)
      for (const b of SCREEN_KEYS[s]) for (const k of b.keys) expect([s, k, globalKeys.has(k)]).toEqual([s, k, false]);
  });
});

describe(footerText.name, () => {
  it('fits the width, primary keys first', () => {
    for (const width of [40, 80, 120]) {
      const text = footerText([...TIMELINE_KEYS, ...GLOBAL_KEYS], width);
      expect(text.length).toBeLessThanOrEqual(width);
      expect(text.startsWith('j/k move')).toBe(true);
    }
    expect(footerText([...TIMELINE_KEYS, ...GLOBAL_KEYS], 80)).not.toContain('PgUp');
  });

  it('keeps ? and q at 80 columns on every screen, last, however many keys the screen has', () => {
    for (const screen of SCREENS) {
      const text = footerText([...SCREEN_KEYS[screen], ...GLOBAL_KEYS], 80);
      expect([screen, text.length <= 80, text.endsWith('? help  q quit')]).toEqual([screen, true, true]);
    }
  });

  it('does not repeat a key a primary label already shows, but still lists other secondary keys when there is room', () => {
    const text = footerText([...JOBS_KEYS, ...GLOBAL_KEYS], 200);
    expect(text).toContain('j/k move');
    expect(text).not.toMatch(/(^|  )k up/);
    expect(text).toContain('PgUp page up');
    expect(text).toContain('g top');
  });
});

describe(themeFromEnv.name, () => {
  it('turns colour off when NO_COLOR is set to anything but empty', () => {
    expect(themeFromEnv({ NO_COLOR: '1' }).color).toBe(false);
    expect(themeFromEnv({ NO_COLOR: '' }).color).toBe(true);
    expect(themeFromEnv({}).color).toBe(true);
  });
});

describe('search and page keys', () => {
  it('n / N are the search on the timeline and the diff; PgDn, ctrl-d and space page down (space pauses the Live tail)', () => {
    for (const table of [SCREEN_KEYS.timeline, SCREEN_KEYS.diff]) {
      expect(matchKey(table, 'char:n')).toBe('searchNext');
      expect(matchKey(table, 'char:N')).toBe('searchPrevious');
    }
    for (const screen of SCREENS) {
      const table = SCREEN_KEYS[screen];
      expect(matchKey(table, 'pageDown')).toBe('pageDown');
      expect(matchKey(table, 'ctrl:d')).toBe('pageDown');
      expect(matchKey(table, 'ctrl:u')).toBe('pageUp');
      expect(matchKey(table, 'space')).toBe(screen === 'live' ? 'pause' : 'pageDown');
      // `n` pages nowhere any more.
      expect(matchKey(table, 'char:n')).not.toBe('pageDown');
    }
    expect(keysFromInk('d', key({ ctrl: true })).map((k) => matchKey(TIMELINE_KEYS, k))).toEqual(['pageDown']);
  });

  it('at 80 columns the timeline footer keeps help and quit', () => {
    const text = footerText([...TIMELINE_KEYS, ...GLOBAL_KEYS], 80);
    expect(text.length).toBeLessThanOrEqual(80);
    expect(text).toMatch(/\? help {2}q quit$/);
  });
});
