import type { TickSource } from './cadence.js';

/**
 * A due tick no older than this is the schedule's current tick and fires whatever the catch-up policy says; older due
 * ticks were missed (every daemon was down, or the database unreachable) and only the latest `catchUp` of them fire.
 */
export const CURRENT_TICK_GRACE_MS = 60_000;

/** Missed ticks counted one by one (cron expressions) before the count is given as a lower bound. */
export const MAX_COUNTED_MISSED = 10_000;

/** What a firing decides from the schedule's state. */
export interface FiringPlanInput {
  ticks: TickSource;
  /** The schedule's `next_run_at`: no tick before it is owed any more. */
  dueMs: number;
  /** The database clock. */
  nowMs: number;
  /** Most missed ticks fired (0: none). */
  catchUp: number;
  graceMs?: number;
}

/** Missed ticks recorded without firing: one summary, however many there were. */
export interface MissedTicks {
  firstMs: number;
  lastMs: number;
  count: number;
  /** False when `count` is a lower bound ({@link MAX_COUNTED_MISSED} reached while counting a cron expression's ticks). */
  exact: boolean;
}

/** What to do now: ticks to fire (oldest first), missed ticks to record, and the schedule's next tick. */
export interface FiringPlan {
  fire: number[];
  missed: MissedTicks | null;
  /** The first tick after now (null: a cron expression with none within ten years). */
  nextMs: number | null;
}

/**
 * Plans one firing of a schedule. The due ticks are those in [due, now]. The latest of them is current if it is at
 * most `graceMs` old, and fires; the others (and a latest one older than that) are missed: the latest `catchUp` of them
 * fire too, the rest become one summary. Bounded: at most `catchUp` + 1 ticks are looked at one by one, and counting
 * missed cron ticks stops at {@link MAX_COUNTED_MISSED}; `every` counts by arithmetic.
 */
export function planFiring(input: FiringPlanInput): FiringPlan {
  const { ticks, dueMs, nowMs } = input;
  const grace = input.graceMs ?? CURRENT_TICK_GRACE_MS;
  const catchUp = Math.max(0, Math.floor(input.catchUp));
  const nextMs = ticks.next(nowMs);
  const latest = ticks.prev(nowMs, dueMs);
  if (latest === null) return { fire: [], missed: null, nextMs };
  const fire: number[] = [];
  let cursor: number | null = latest;
  if (nowMs - latest <= grace) {
    fire.push(latest);
    cursor = ticks.prev(latest - 1, dueMs);
  }
  for (let i = 0; i < catchUp && cursor !== null; i++) {
    fire.push(cursor);
    cursor = ticks.prev(cursor - 1, dueMs);
  }
  fire.reverse();
  if (cursor === null) return { fire, missed: null, nextMs };
  const first = ticks.next(dueMs - 1)!;
  return { fire, missed: { firstMs: first, lastMs: cursor, ...countTicks(ticks, first, cursor) }, nextMs };
}

/** Ticks in [first, last], both ticks; exact for `every`, capped for cron. */
function countTicks(ticks: TickSource, first: number, last: number): { count: number; exact: boolean } {
  const c = ticks.cadence;
  if (c.kind === 'every') return { count: Math.round((last - first) / c.everyMs) + 1, exact: true };
  let n = 1;
  for (let t: number | null = first; t !== null && t < last; t = ticks.next(t)) {
    if (n >= MAX_COUNTED_MISSED) return { count: n, exact: false };
    n++;
  }
  return { count: n, exact: true };
}
