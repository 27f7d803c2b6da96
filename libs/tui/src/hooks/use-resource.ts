import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';

/** Data loaded from the API: the last good value stays while reloading, so the screen does not blink. */
export interface Resource<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  /** When `data` was loaded (ms since the epoch); with `error` set, the data shown is stale since then. */
  readonly updatedAt: number | null;
  reload(): void;
}

/** A one-line message for a failed request. */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ');
}

/** The last data loaded under each key, kept by the app while screens come and go. */
export type ResourceCache = Map<string, { readonly data: unknown; readonly updatedAt: number }>;

/**
 * Where the app keeps the last data of each resource: a screen that comes back (esc, tab) shows its rows at once, and
 * still shows them, marked stale, when the API cannot be reached.
 */
export const ResourceCacheContext = createContext<ResourceCache | null>(null);

/**
 * Loads `load()` when `key` changes (null: nothing to load), and again every `intervalMs` when given. Results of a
 * superseded request are dropped.
 */
export function useResource<T>(key: string | null, load: () => Promise<T>, intervalMs?: number): Resource<T> {
  const cache = useContext(ResourceCacheContext);
  // A key names one request, so what is cached under it is that request's `T`.
  const cached = (k: string | null) => (k === null ? undefined : (cache?.get(k) as { data: T; updatedAt: number } | undefined));
  const [state, setState] = useState<{
    key: string | null;
    data: T | null;
    error: string | null;
    loading: boolean;
    updatedAt: number | null;
  }>(() => ({ key, data: cached(key)?.data ?? null, error: null, loading: key !== null, updatedAt: cached(key)?.updatedAt ?? null }));
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (key === null) {
      setState({ key, data: null, error: null, loading: false, updatedAt: null });
      return;
    }
    const gen = ++generation.current;
    const last = cached(key);
    setState((s) =>
      s.key === key
        ? { ...s, loading: true }
        : { key, data: last?.data ?? null, error: null, loading: true, updatedAt: last?.updatedAt ?? null },
    );
    loadRef.current().then(
      (data) => {
        if (gen !== generation.current) return;
        const updatedAt = Date.now();
        cache?.set(key, { data, updatedAt });
        setState({ key, data, error: null, loading: false, updatedAt });
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
    updatedAt: current ? state.updatedAt : null,
    reload,
  };
}
