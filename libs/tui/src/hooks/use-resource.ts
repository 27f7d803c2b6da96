import { useCallback, useEffect, useRef, useState } from 'react';

/** Data loaded from the API: the last good value stays while reloading, so the screen does not blink. */
export interface Resource<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  reload(): void;
}

/** A one-line message for a failed request. */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ');
}

/**
 * Loads `load()` when `key` changes (null: nothing to load), and again every `intervalMs` when given. Results of a
 * superseded request are dropped.
 */
export function useResource<T>(key: string | null, load: () => Promise<T>, intervalMs?: number): Resource<T> {
  const [state, setState] = useState<{ key: string | null; data: T | null; error: string | null; loading: boolean }>({
    key,
    data: null,
    error: null,
    loading: key !== null,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (key === null) {
      setState({ key, data: null, error: null, loading: false });
      return;
    }
    const gen = ++generation.current;
    setState((s) => (s.key === key ? { ...s, loading: true } : { key, data: null, error: null, loading: true }));
    loadRef.current().then(
      (data) => {
        if (gen === generation.current) setState({ key, data, error: null, loading: false });
      },
      (err) => {
        if (gen === generation.current) setState((s) => ({ ...s, key, error: errorText(err), loading: false }));
      },
    );
  }, [key, tick]);

  useEffect(() => {
    if (!intervalMs || key === null) return;
    const t = setInterval(reload, intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, key, reload]);

  const current = state.key === key;
  return {
    data: current ? state.data : null,
    error: current ? state.error : null,
    loading: current ? state.loading : key !== null,
    reload,
  };
}
