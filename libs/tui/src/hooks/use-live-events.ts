import { useEffect, type Dispatch } from 'react';
import type { LiveStreamNotice } from '@beacon/api-client';
import type { LiveEventView } from '@beacon/domain';
import type { LiveEventQuery, TuiApi } from '../api/tui-api.js';
import type { LiveTailAction } from '../state/live-tail.reducer.js';
import { errorText } from './use-resource.js';

/** How often received events are handed to the view: at most 10 renders a second, however fast they arrive. */
export const FLUSH_MS = 100;

/**
 * Subscribes to the API's event stream for the whole session, batching events into one `live/append` per flush. The
 * client reconnects by itself and says so (`onNotice`): the connection's mode follows those notices, not the arrival of
 * events, so a quiet stream reads connected and a stopped daemon reads reconnecting at once. The queue between flushes
 * is bounded by `capacity`, so a burst cannot grow memory.
 */
export function useLiveEvents(api: TuiApi, dispatch: Dispatch<LiveTailAction>, filter: LiveEventQuery, capacity: number): void {
  const filterKey = JSON.stringify(filter);
  useEffect(() => {
    const abort = new AbortController();
    let queue: LiveEventView[] = [];
    const flush = () => {
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      dispatch({ type: 'live/append', events: batch });
    };
    const timer = setInterval(flush, FLUSH_MS);
    const onNotice = (n: LiveStreamNotice) => {
      if (abort.signal.aborted) return;
      // Events received before the loss go in before the gap mark.
      flush();
      const at = Date.now();
      if (n.type === 'connected') dispatch({ type: 'live/stream', event: { type: 'connected', at } });
      else if (n.type === 'reconnecting')
        dispatch({ type: 'live/stream', event: { type: 'failed', at, attempt: n.attempt, error: n.error } });
      else dispatch({ type: 'live/dropped', at, dropped: n.dropped, reason: n.reason });
    };
    void (async () => {
      // The client retries lost streams itself; this loop only outlives a stream the server refused (a bad filter, no
      // token), which is reported and retried slowly.
      let delay = 500;
      let attempt = 0;
      while (!abort.signal.aborted) {
        try {
          for await (const ev of api.events(JSON.parse(filterKey) as LiveEventQuery, abort.signal, onNotice)) {
            attempt = 0;
            queue.push(ev);
            if (queue.length > capacity * 2) queue = queue.slice(-capacity);
          }
          if (abort.signal.aborted) return;
          onNotice({ type: 'reconnecting', attempt: ++attempt, delayMs: delay, error: 'stream ended' });
        } catch (err) {
          if (abort.signal.aborted) return;
          onNotice({ type: 'reconnecting', attempt: ++attempt, delayMs: delay, error: errorText(err) });
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
