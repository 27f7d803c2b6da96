import { useEffect, type Dispatch } from 'react';
import type { LiveEventView } from '@beacon/domain';
import type { LiveEventQuery, TuiApi } from '../api/tui-api.js';
import type { LiveTailAction } from '../state/live-tail.reducer.js';
import { errorText } from './use-resource.js';

/** How often received events are handed to the view: at most 10 renders a second, however fast they arrive. */
export const FLUSH_MS = 100;

/**
 * Subscribes to the API's event stream for the whole session, batching events into one `live/append` per flush and
 * reconnecting with backoff. The queue between flushes is bounded by `capacity`, so a burst cannot grow memory.
 */
export function useLiveEvents(api: TuiApi, dispatch: Dispatch<LiveTailAction>, filter: LiveEventQuery, capacity: number): void {
  const filterKey = JSON.stringify(filter);
  useEffect(() => {
    const abort = new AbortController();
    let queue: LiveEventView[] = [];
    const timer = setInterval(() => {
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      dispatch({ type: 'live/append', events: batch });
    }, FLUSH_MS);
    void (async () => {
      let delay = 500;
      while (!abort.signal.aborted) {
        try {
          let first = true;
          for await (const ev of api.events(JSON.parse(filterKey) as LiveEventQuery, abort.signal)) {
            if (first) {
              dispatch({ type: 'live/connection', connection: 'open' });
              first = false;
              delay = 500;
            }
            queue.push(ev);
            if (queue.length > capacity * 2) queue = queue.slice(-capacity);
          }
          if (abort.signal.aborted) return;
          dispatch({ type: 'live/connection', connection: 'retrying', error: 'stream ended' });
        } catch (err) {
          if (abort.signal.aborted) return;
          dispatch({ type: 'live/connection', connection: 'retrying', error: errorText(err) });
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          abort.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              resolve();
            },
            { once: true },
          );
        });
        delay = Math.min(5_000, delay * 2);
      }
    })();
    return () => {
      abort.abort();
      clearInterval(timer);
    };
  }, [api, dispatch, filterKey, capacity]);
}
