import { describe, expect, it } from '@jest/globals';
import type { Key } from 'ink';
import { themeFromEnv } from '../views/theme.js';
import { footerText, matchKey } from './key-binding.js';
import { GLOBAL_KEYS, JOBS_KEYS, SCREEN_KEYS, SCREENS, TIMELINE_KEYS } from './key-tables.js';

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
    expect(matchKey(TIMELINE_KEYS, 'j', key())).toBe('down');
    expect(matchKey(TIMELINE_KEYS, '', key({ downArrow: true }))).toBe('down');
    expect(matchKey(TIMELINE_KEYS, '+', key())).toBe('zoomIn');
    expect(matchKey(TIMELINE_KEYS, '', key({ return: true }))).toBe('details');
    expect(matchKey(GLOBAL_KEYS, '', key({ tab: true, shift: true }))).toBe('previous');
    expect(matchKey(TIMELINE_KEYS, 'j', key({ ctrl: true }))).toBeUndefined();
    expect(matchKey(TIMELINE_KEYS, 'jj', key())).toBeUndefined();
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
