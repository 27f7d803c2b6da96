import { useCallback, useRef, useState } from 'react';

/**
 * `useReducer` whose current state can also be read synchronously (`get`), so that key presses arriving faster than
 * React renders are each judged against the state the previous one left, not the last rendered one.
 */
export function useStore<S, A>(reducer: (s: S, a: A) => S, init: () => S): [S, (a: A) => void, () => S] {
  const ref = useRef<S | null>(null);
  if (ref.current === null) ref.current = init();
  const [state, setState] = useState(ref.current);
  const dispatch = useCallback(
    (a: A) => {
      const next = reducer(ref.current as S, a);
      if (next === ref.current) return;
      ref.current = next;
      setState(next);
    },
    [reducer],
  );
  const get = useCallback(() => ref.current as S, []);
  return [state, dispatch, get];
}
