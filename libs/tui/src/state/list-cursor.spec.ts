import { describe, expect, it } from '@jest/globals';
import { clampCursor, moveCursor, START } from './list-cursor.js';

describe(moveCursor.name, () => {
  it('moves inside the window without scrolling, then scrolls one row at a time', () => {
    let c = START;
    for (let i = 0; i < 4; i++) c = moveCursor(c, 'down', 100, 5);
    expect(c).toEqual({ index: 4, top: 0 });
    c = moveCursor(c, 'down', 100, 5);
    expect(c).toEqual({ index: 5, top: 1 });
    c = moveCursor(c, 'up', 100, 5);
    expect(c).toEqual({ index: 4, top: 1 });
  });

  it('pages, jumps to the ends, and never leaves the list', () => {
    expect(moveCursor(START, 'pageDown', 100, 10)).toEqual({ index: 9, top: 0 });
    expect(moveCursor(START, 'bottom', 100, 10)).toEqual({ index: 99, top: 90 });
    expect(moveCursor({ index: 99, top: 90 }, 'top', 100, 10)).toEqual(START);
    expect(moveCursor(START, 'up', 100, 10)).toBe(START);
    expect(moveCursor(START, 'down', 0, 10)).toEqual(START);
  });

  it('clamps after the list shrinks or the window grows', () => {
    expect(clampCursor({ index: 50, top: 45 }, 20, 10)).toEqual({ index: 19, top: 10 });
    expect(clampCursor({ index: 15, top: 10 }, 20, 30)).toEqual({ index: 15, top: 0 });
  });
});
