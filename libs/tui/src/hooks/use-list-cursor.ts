import { useCallback, useEffect, type Dispatch } from 'react';
import type { ScreenId } from '../keys/key-tables.js';
import type { AppAction, AppState } from '../state/app.reducer.js';
import type { CursorMove, ListCursor } from '../state/list-cursor.js';

/**
 * A screen's list cursor: kept inside the list as its length or the visible height changes, and moved by the screen's
 * keys (`move`). The cursor lives in the app state, by screen, so that leaving a screen and coming back keeps the place.
 */
export function useListCursor(
  state: AppState,
  dispatch: Dispatch<AppAction>,
  screen: ScreenId,
  count: number,
  height: number,
): { cursor: ListCursor; move: (m: CursorMove) => void } {
  useEffect(() => {
    dispatch({ type: 'cursor/clamp', screen, count, height });
  }, [screen, count, height, dispatch]);
  const move = useCallback(
    (m: CursorMove) => dispatch({ type: 'cursor', screen, move: m, count, height }),
    [dispatch, screen, count, height],
  );
  return { cursor: state.cursors[screen], move };
}
