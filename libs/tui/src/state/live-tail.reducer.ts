import type { LiveEventView } from '@beacon/domain';
import { clockTime, formatDuration } from '../layout/time-format.js';
import { initialConnection, nextConnection, type Connection, type ConnectionEvent } from './connection.js';

/** How many events the tail keeps; older ones are dropped. */
export const LIVE_BUFFER = 5_000;

/** A mark in the tail where events may be missing: the stream was down, or the server dropped events for this client. */
export interface GapRow {
  readonly kind: 'gap';
  readonly seq: string;
  readonly at: string;
  readonly text: string;
}

/** A row of the tail: an event, or a gap mark between events. */
export type TailRow = LiveEventView | GapRow;

export const isGap = (r: TailRow): r is GapRow => r.kind === 'gap';

/** The live tail: a bounded buffer of events, and whether the view is paused or following the newest. */
export interface LiveTailState {
  /** Oldest first, at most `capacity`. */
  readonly events: readonly TailRow[];
  readonly capacity: number;
  /** Events received since start (including dropped ones). */
  readonly received: number;
  /** What the view shows while paused: the buffer as it was when paused. */
  readonly frozen: readonly TailRow[] | null;
  /** `received` when the view was paused. */
  readonly receivedAtPause: number;
  readonly follow: boolean;
  readonly connection: Connection;
  /** Gap marks added, to give each its own key. */
  readonly gaps: number;
}

export type LiveTailAction =
  | { type: 'live/append'; events: readonly LiveEventView[] }
  | { type: 'live/pause' }
  | { type: 'live/follow'; on: boolean }
  /** The stream came up or failed; coming back up after a loss marks a gap in the tail. */
  | { type: 'live/stream'; event: ConnectionEvent }
  /** The server dropped `dropped` events for this client (it read too slowly, or its resume point was gone). */
  | { type: 'live/dropped'; at: number; dropped: number; reason: string };

export function initialLiveTail(capacity = LIVE_BUFFER, now = Date.now()): LiveTailState {
  return {
    events: [],
    capacity,
    received: 0,
    frozen: null,
    receivedAtPause: 0,
    follow: true,
    connection: initialConnection(now),
    gaps: 0,
  };
}

function withGap(s: LiveTailState, at: number, text: string): LiveTailState {
  const row: GapRow = { kind: 'gap', seq: `gap-${s.gaps + 1}`, at: new Date(at).toISOString(), text };
  return { ...s, events: appendBounded(s.events, [row], s.capacity), gaps: s.gaps + 1 };
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
    case 'live/stream': {
      const before = s.connection;
      const next = { ...s, connection: nextConnection(before, a.event) };
      const lost = before.mode === 'reconnecting' || before.mode === 'disconnected';
      // A stream that was lost and came back leaves a hole in the tail: the events of the time it was down (a
      // restarted daemon no longer has them to resend).
      if (!lost || a.event.type !== 'connected') return next;
      const text = `── gap: stream lost ${clockTime(before.since)} → back ${clockTime(a.event.at)} (${formatDuration(a.event.at - before.since)}); events of that time may be missing ──`;
      return withGap(next, a.event.at, text);
    }
    case 'live/dropped':
      return withGap(s, a.at, `── gap: the server dropped ${a.dropped} event${a.dropped === 1 ? '' : 's'} (${a.reason}) ──`);
  }
}

/** The events the view shows: the frozen snapshot while paused, else the live buffer. */
export const visibleEvents = (s: LiveTailState): readonly TailRow[] => s.frozen ?? s.events;

/** Events that arrived since the view was paused. */
export const pendingWhilePaused = (s: LiveTailState): number => (s.frozen ? s.received - s.receivedAtPause : 0);
