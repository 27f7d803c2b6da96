import { follow } from './api.js';

/**
 * Calls `refresh` after live events of the given filter, at most once per `everyMs` (a burst of a thousand cell
 * changes is one refresh), until `signal` aborts.
 */
export function liveRefresh(filter: string, refresh: () => Promise<void> | void, signal: AbortSignal, everyMs = 700): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await refresh();
    } catch {
      /* the next event tries again */
    } finally {
      running = false;
      if (again) {
        again = false;
        timer ??= setTimeout(() => void run(), everyMs);
      }
    }
  };
  void follow(
    `/api/v1/events?${filter}`,
    () => {
      timer ??= setTimeout(() => void run(), everyMs);
    },
    signal,
  ).catch(() => undefined);
  signal.addEventListener('abort', () => {
    if (timer) clearTimeout(timer);
  });
}
