/** A selected row in a list, and the first row of the visible window. */
export interface ListCursor {
  readonly index: number;
  readonly top: number;
}

/** A movement of the cursor. */
export type CursorMove = 'up' | 'down' | 'pageUp' | 'pageDown' | 'top' | 'bottom';

export const START: ListCursor = { index: 0, top: 0 };

/**
 * Moves the cursor over `count` rows shown `height` at a time, keeping the selected row inside the window (the window
 * scrolls only when the cursor would leave it, so the rows stay put while moving inside a page).
 */
export function moveCursor(c: ListCursor, move: CursorMove, count: number, height: number): ListCursor {
  const page = Math.max(1, height - 1);
  const delta = { up: -1, down: 1, pageUp: -page, pageDown: page, top: -Infinity, bottom: Infinity }[move];
  const next = clampCursor({ index: c.index + delta, top: c.top }, count, height);
  return next.index === c.index && next.top === c.top ? c : next;
}

/** Keeps a cursor valid after the list or the window changed size. */
export function clampCursor(c: ListCursor, count: number, height: number): ListCursor {
  if (count <= 0) return START;
  const h = Math.max(1, height);
  const index = Math.min(Math.max(0, c.index), count - 1);
  let top = Math.min(Math.max(0, c.top), Math.max(0, count - h));
  if (index < top) top = index;
  if (index >= top + h) top = index - h + 1;
  return index === c.index && top === c.top ? c : { index, top };
}
