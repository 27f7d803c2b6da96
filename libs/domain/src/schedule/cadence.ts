import { type CronExpression, nextCronTick, parseCron, prevCronTick } from './cron-expression.js';

/**
 * When a schedule fires: every `everyMs` (ticks at whole multiples of it since the Unix epoch, so every daemon computes
 * the same ticks and `every 6h` fires at 00:00, 06:00, 12:00 and 18:00 UTC), or on a cron expression in UTC.
 */
export type Cadence = { kind: 'every'; everyMs: number } | { kind: 'cron'; expression: string };

/** The shortest period `every` accepts: the daemons look for due schedules about once a second. */
export const MIN_EVERY_MS = 1000;
/** The longest: a year. */
export const MAX_EVERY_MS = 366 * 86_400_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * Reads a duration such as `10s`, `6h`, `1h30m` or `2d` (units ms, s, m, h, d, w; a bare number is seconds) into
 * milliseconds, or says what is wrong with it.
 */
export function parseEvery(text: string): { ok: true; ms: number } | { ok: false; problem: string } {
  const t = text.trim().toLowerCase();
  let ms = 0;
  if (/^\d+$/.test(t)) ms = Number(t) * 1000;
  else {
    const re = /(\d+)(ms|s|m|h|d|w)/gy;
    let at = 0;
    for (let m = re.exec(t); m; m = re.exec(t)) {
      ms += Number(m[1]) * UNITS[m[2]!]!;
      at = re.lastIndex;
    }
    if (at === 0 || at !== t.length) return { ok: false, problem: `"${text}" is not a duration such as 10s, 6h or 1h30m` };
  }
  if (!Number.isSafeInteger(ms) || ms < MIN_EVERY_MS) return { ok: false, problem: `must be at least 1s (got "${text}")` };
  if (ms > MAX_EVERY_MS) return { ok: false, problem: `must be at most 366d (got "${text}")` };
  return { ok: true, ms };
}

/** Writes milliseconds back as the shortest duration text (`21600000` → `6h`, `5400000` → `1h30m`). */
export function formatEvery(ms: number): string {
  const out: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out.push(`${n}${unit}`);
    rest -= n * size;
  }
  return out.join('') || '0s';
}

/** A cadence whose ticks can be computed: its expression parsed once. */
export interface TickSource {
  readonly cadence: Cadence;
  /** The first tick strictly after `afterMs`, or null (a cron expression with no tick within ten years). */
  next(afterMs: number): number | null;
  /** The last tick at or before `atMs` and at or after `floorMs`, or null. */
  prev(atMs: number, floorMs: number): number | null;
}

/** Checks a cadence and returns its tick source, or a problem naming the field (`every` or `cron`). */
export function tickSource(cadence: Cadence): { ok: true; ticks: TickSource } | { ok: false; field: 'every' | 'cron'; problem: string } {
  if (cadence.kind === 'every') {
    const e = cadence.everyMs;
    if (!Number.isSafeInteger(e) || e < MIN_EVERY_MS || e > MAX_EVERY_MS) {
      return { ok: false, field: 'every', problem: `must be a whole number of milliseconds from ${MIN_EVERY_MS} to ${MAX_EVERY_MS}` };
    }
    return {
      ok: true,
      ticks: {
        cadence,
        next: (after) => (Math.floor(after / e) + 1) * e,
        prev: (at, floor) => {
          const t = Math.floor(at / e) * e;
          return t >= floor ? t : null;
        },
      },
    };
  }
  const parsed = parseCron(cadence.expression);
  if (!parsed.ok) return { ok: false, field: 'cron', problem: parsed.problem };
  const cron: CronExpression = parsed.cron;
  // An expression that names no real day (31 February) is refused here rather than never firing.
  if (nextCronTick(cron, Date.UTC(2000, 0, 1)) === null) return { ok: false, field: 'cron', problem: 'never fires (no such date)' };
  return {
    ok: true,
    ticks: {
      cadence: { kind: 'cron', expression: cron.source },
      next: (after) => nextCronTick(cron, after),
      prev: (at, floor) => prevCronTick(cron, at, floor),
    },
  };
}

/** The cadence as one line: `every 6h` or `cron 0 *​/6 * * *`. */
export function describeCadence(c: Cadence): string {
  return c.kind === 'every' ? `every ${formatEvery(c.everyMs)}` : `cron ${c.expression}`;
}
