import { describe, expect, it } from '@jest/globals';
import { MOUSE_OFF, MOUSE_ON, mouseWanted } from './mouse-mode.js';

describe(mouseWanted.name, () => {
  it('is on by default, off with BEACON_TUI_MOUSE=0/off/no/false or --no-mouse', () => {
    expect(mouseWanted({})).toBe(true);
    expect(mouseWanted({ BEACON_TUI_MOUSE: '1' })).toBe(true);
    for (const v of ['0', 'off', 'NO', ' false ']) expect(mouseWanted({ BEACON_TUI_MOUSE: v })).toBe(false);
    expect(mouseWanted({}, false)).toBe(false);
    expect(mouseWanted({}, true)).toBe(true);
  });

  it('turns off both modes it turns on', () => {
    const modes = (s: string) => [...s.matchAll(/\u001B\[\?(\d+)([hl])/g)].map((m) => `${m[1]}${m[2]}`);
    expect(modes(MOUSE_ON).sort()).toEqual(['1000h', '1006h']);
    expect(modes(MOUSE_OFF).sort()).toEqual(['1000l', '1006l']);
  });
});
