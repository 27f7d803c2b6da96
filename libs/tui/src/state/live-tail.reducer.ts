import type { LiveEventView } from '@beacon/domain';

/** How many events the tail keeps; older ones are dropped. */
export const LIVE_BUFFER = 5_000;

/** The live tail: a bounded buffer of events, and whether the view is paused or following the newest. */
export interface LiveTailState {
  /** Oldest first, at most `capacity`. */
  readonly events: readonly LiveEventView[];
  readonly capacity: number;
  /** Events received since start (including dropped ones). */
  readonly received: number;
  /** What the view shows while paused: the buffer as it was when paused. */
  readonly frozen: readonly LiveEventView[] | null;
  /** `received` when the view was paused. */
  readonly receivedAtPause: number;
  readonly follow: boolean;
  readonly connection: 'connecting' | 'open' | 'retrying';
  readonly error: string | null;
}

export type LiveTailAction =
  | { type: 'live/append'; events: readonly LiveEventView[] }
  | { type: 'live/pause' }
  | { type: 'live/follow'; on: boolean }
  | { type: 'live/connection'; connection: LiveTailState['connection']; error?: string | null };

export function initialLiveTail(capacity = LIVE_BUFFER): LiveTailState {
  return { events: [], capacity, received: 0, frozen: null, receivedAtPause: 0, follow: true, connection: 'connecting', error: null };
}

/** Appends a batch, keeping only the newest `capacity` events (one copy per batch, not per event). */
export function appendBounded<T>(buffer: readonly T[], batch: readonly T[], capacity: number): readonly T[] {
  if (batch.length === 0) return buffer;
  if (batch.length >= capacity) return batch.slice(batch.length - capacity);
  const keep = Math.max(0, buffer.length + batch.length - capacity);
  return keep === 0 ? [...buffer, ...batch] : [...buffer.slice(keep), ...batch];
}

export function liveTailReducer(s: LiveTailState, a: LiveTailAction): LiveTailState {
  switch (a.type) {
    case 'live/append':
      if (a.events.length === 0) return s;
      return { ...s, events: appendBounded(s.events, a.events, s.capacity), received: s.received + a.events.length };
    case 'live/pause':
      return s.frozen ? { ...s, frozen: null } : { ...s, frozen: s.events, receivedAtPause: s.received };
    case 'live/follow':
      return s.follow === a.on ? s : { ...s, follow: a.on };
    case 'live/connection':
      return { ...s, connection: a.connection, error: a.error ?? null };
  }
}

/** The events the view shows: the frozen snapshot while paused, else the live buffer. */
export const visibleEvents = (s: LiveTailState): readonly LiveEventView[] => s.frozen ?? s.events;

/** Events that arrived since the view was paused. */
export const pendingWhilePaused = (s: LiveTailState): number => (s.frozen ? s.received - s.receivedAtPause : 0);
