import { useCallback, useEffect, useRef, useState } from 'react';
import type { JobSummaryView, TimelineLaneView } from '@beacon/domain';
import type { TimelineQuery, TuiApi } from '../api/tui-api.js';
import { errorText } from './use-resource.js';

/** Lanes asked for per request. */
export const TIMELINE_PAGE = 200;

/** One fetched page: the cursor it was asked with, where its lanes start, how many. */
interface PageRef {
  readonly cursor: string | undefined;
  readonly start: number;
  readonly count: number;
}

/** The loaded part of a job's timeline. */
export interface TimelineData {
  readonly job: JobSummaryView | null;
  readonly from: number | null;
  readonly to: number | null;
  readonly totalLanes: number;
  /** Lanes loaded so far, in the API's order (a prefix of all lanes). */
  readonly lanes: readonly TimelineLaneView[];
  readonly complete: boolean;
  readonly loading: boolean;
  readonly error: string | null;
  /** Refetches the pages that cover rows `first`..`last` (a refresh never reloads the whole job). */
  refresh: (first: number, last: number) => void;
}

const EMPTY: Omit<TimelineData, 'refresh'> = {
  job: null,
  from: null,
  to: null,
  totalLanes: 0,
  lanes: [],
  complete: false,
  loading: false,
  error: null,
};

/**
 * Windowed loading of a job's timeline: the first page at once, the next page only when row `need` is close to the end
 * of what is loaded, by the API's cursor.
 */
export function useTimeline(
  api: TuiApi,
  jobId: string | null,
  filter: Omit<TimelineQuery, 'cursor' | 'limit'>,
  need: number,
): TimelineData {
  const [data, setData] = useState(EMPTY);
  const pages = useRef<PageRef[]>([]);
  const next = useRef<string | null>(null);
  const inflight = useRef(false);
  const generation = useRef(0);
  const filterKey = JSON.stringify(filter);

  const fetchPage = useCallback(
    async (cursor: string | undefined, gen: number, start: number | null) => {
      if (!jobId) return;
      inflight.current = true;
      setData((d) => ({ ...d, loading: true }));
      try {
        const q = { ...(JSON.parse(filterKey) as TimelineQuery), limit: TIMELINE_PAGE, ...(cursor ? { cursor } : {}) };
        const page = await api.getTimeline(jobId, q);
        if (gen !== generation.current) return;
        setData((d) => {
          const at = start ?? d.lanes.length;
          const old = pages.current.find((p) => p.start === at);
          const lanes = [...d.lanes.slice(0, at), ...page.lanes, ...d.lanes.slice(at + (old?.count ?? 0))];
          if (start === null) {
            pages.current.push({ cursor, start: at, count: page.lanes.length });
            next.current = page.nextCursor;
          } else if (old) {
            pages.current = pages.current.map((p) => (p === old ? { ...p, count: page.lanes.length } : p));
          }
          return {
            job: page.job,
            from: page.from ? Date.parse(page.from) : null,
            to: page.to ? Date.parse(page.to) : null,
            totalLanes: page.totalLanes,
            lanes,
            complete: next.current === null,
            loading: false,
            error: null,
          };
        });
      } catch (err) {
        if (gen === generation.current) setData((d) => ({ ...d, loading: false, error: errorText(err) }));
      } finally {
        if (gen === generation.current) inflight.current = false;
      }
    },
    [api, jobId, filterKey],
  );

  useEffect(() => {
    const gen = ++generation.current;
    pages.current = [];
    next.current = null;
    inflight.current = false;
    setData(EMPTY);
    if (jobId) void fetchPage(undefined, gen, null);
  }, [fetchPage, jobId]);

  useEffect(() => {
    if (inflight.current || next.current === null || data.error) return;
    if (need + TIMELINE_PAGE / 4 >= data.lanes.length) void fetchPage(next.current, generation.current, null);
  }, [need, data.lanes.length, data.error, fetchPage]);

  const refresh = useCallback(
    (first: number, last: number) => {
      if (inflight.current) return;
      const gen = generation.current;
      const hit = pages.current.filter((p) => p.start <= last && p.start + Math.max(1, p.count) > first);
      if (hit.length === 0 && pages.current.length === 0) {
        void fetchPage(undefined, gen, null);
        return;
      }
      void (async () => {
        for (const p of hit) await fetchPage(p.cursor, gen, p.start);
      })();
    },
    [fetchPage],
  );

  return { ...data, refresh };
}
