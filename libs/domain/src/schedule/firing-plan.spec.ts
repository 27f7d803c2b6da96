import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CronTime } from 'cron';
import { formatEvery, parseEvery, tickSource, type Cadence, type TickSource } from './cadence.js';
import { parseCron } from './cron-expression.js';
import { CURRENT_TICK_GRACE_MS, planFiring } from './firing-plan.js';

function ticksOf(c: Cadence): TickSource {
  const t = tickSource(c);
  if (!t.ok) throw new Error(t.problem);
  return t.ticks;
}

/** The `cron` package's next tick after `ms` (UTC): an implementation written independently of ours. */
function libNext(expression: string, ms: number): number {
  return new CronTime(expression, 'UTC').getNextDateFrom(new Date(ms), 'UTC').toMillis();
}

/** Cron fields as text: `*`, a step, a value, a range or a list, within each field's bounds. */
const field = (min: number, max: number) =>
  fc.oneof(
    fc.constant('*'),
    fc.integer({ min: 2, max: Math.max(2, Math.floor((max - min) / 2)) }).map((n) => `*/${n}`),
    fc.integer({ min, max }).map(String),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => (a <= b ? `${a}-${b}` : `${b}-${a}`)),
    fc.uniqueArray(fc.integer({ min, max }), { minLength: 2, maxLength: 4 }).map((xs) => xs.join(',')),
  );

const cronExpr = fc.oneof(
  fc.tuple(field(0, 59), field(0, 23), field(1, 28), field(1, 12), field(0, 6)).map((f) => f.join(' ')),
  fc.tuple(field(0, 59), field(0, 59), field(0, 23), fc.constant('*'), fc.constant('*'), field(0, 6)).map((f) => f.join(' ')),
);

/** Times from 2001 to 2032 (the cron package looks no further than eight years from the real now). */
const instant = fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2032, 0, 1) });

describe('cron expressions', () => {
  it('agree with the cron package on the next ticks of generated expressions', () => {
    fc.assert(
      fc.property(cronExpr, instant, (expr, start) => {
        const ticks = ticksOf({ kind: 'cron', expression: expr });
        let ours = start;
        let theirs = start;
        for (let i = 0; i < 4; i++) {
          ours = ticks.next(ours)!;
          theirs = libNext(expr, theirs);
          expect(new Date(ours).toISOString()).toBe(new Date(theirs).toISOString());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('prev is the inverse of next: the last tick at or before a time, with none in between', () => {
    fc.assert(
      fc.property(cronExpr, instant, (expr, start) => {
        const ticks = ticksOf({ kind: 'cron', expression: expr });
        const a = ticks.next(start)!;
        const b = ticks.next(a)!;
        expect(ticks.prev(a, start)).toBe(a);
        expect(ticks.prev(b - 1, start)).toBe(a);
        expect(ticks.prev(a - 1, a)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('names the field and the problem of a bad expression', () => {
    expect(parseCron('61 * * * *')).toEqual({ ok: false, problem: 'minute field "61": 61 is outside 0-59' });
    expect(parseCron('* * *')).toMatchObject({ ok: false, problem: expect.stringMatching(/5 fields/) });
    expect(parseCron('0 0 * foo *')).toMatchObject({ ok: false, problem: expect.stringMatching(/^month field "foo"/) });
    expect(tickSource({ kind: 'cron', expression: '0 0 31 2 *' })).toMatchObject({
      ok: false,
      field: 'cron',
      problem: 'never fires (no such date)',
    });
    expect(parseCron('0 9 * jan-mar mon-fri')).toMatchObject({ ok: true });
  });
});

describe('every', () => {
  it('reads durations and writes them back', () => {
    expect(parseEvery('6h')).toEqual({ ok: true, ms: 21_600_000 });
    expect(parseEvery('1h30m')).toEqual({ ok: true, ms: 5_400_000 });
    expect(parseEvery('10')).toEqual({ ok: true, ms: 10_000 });
    expect(parseEvery('500ms')).toMatchObject({ ok: false, problem: expect.stringMatching(/at least 1s/) });
    expect(parseEvery('6 hours')).toMatchObject({ ok: false });
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 366 * 86_400_000 }), (ms) => {
        expect(parseEvery(formatEvery(ms))).toEqual({ ok: true, ms });
      }),
    );
  });
});

/** Ticks in [a, b] counted one by one with the cron package (independent of the plan's arithmetic and stepping). */
function libCount(expression: string, a: number, b: number): number {
  let n = 0;
  for (let t = libNext(expression, a - 1); t <= b; t = libNext(expression, t)) n++;
  return n;
}

describe('planFiring', () => {
  const cadence = fc.oneof(
    fc.integer({ min: 1, max: 3600 }).map((s): Cadence => ({ kind: 'every', everyMs: s * 1000 })),
    fc.constantFrom<Cadence>(
      { kind: 'cron', expression: '*/5 * * * * *' },
      { kind: 'cron', expression: '* * * * *' },
      { kind: 'cron', expression: '*/7 9-17 * * mon-fri' },
      { kind: 'cron', expression: '0 */6 * * *' },
    ),
  );

  it('fires at most catchUp missed ticks plus the current one, oldest first, and accounts for every due tick once', () => {
    fc.assert(
      fc.property(
        cadence,
        instant,
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 5 }),
        (c, start, periods, fraction, catchUp) => {
          const ticks = ticksOf(c);
          const due = ticks.next(start)!;
          // now: some ticks after due, at a fraction of the way to the next one.
          let t = due;
          for (let i = 0; i < periods; i++) t = ticks.next(t)!;
          const now = t + Math.floor(((ticks.next(t)! - t) * fraction) / 1001);
          const plan = planFiring({ ticks, dueMs: due, nowMs: now, catchUp });
          const expression = c.kind === 'cron' ? c.expression : null;
          const everyMs = c.kind === 'every' ? c.everyMs : 0;
          const total = expression ? libCount(expression, due, now) : Math.floor(now / everyMs) - due / everyMs + 1;
          expect(total).toBe(periods + 1);
          // Strictly increasing, all due, all ticks.
          for (let i = 0; i < plan.fire.length; i++) {
            expect(plan.fire[i]!).toBeGreaterThanOrEqual(due);
            expect(plan.fire[i]!).toBeLessThanOrEqual(now);
            if (i > 0) expect(plan.fire[i]!).toBeGreaterThan(plan.fire[i - 1]!);
            expect(ticks.prev(plan.fire[i]!, plan.fire[i]!)).toBe(plan.fire[i]);
          }
          const current = now - t <= CURRENT_TICK_GRACE_MS;
          const firedMissed = plan.fire.length - (current ? 1 : 0);
          expect(firedMissed).toBeLessThanOrEqual(catchUp);
          if (current) expect(plan.fire.at(-1)).toBe(t);
          // Every due tick is fired or counted missed, once; missed ones are the oldest.
          expect(plan.fire.length + (plan.missed?.count ?? 0)).toBe(total);
          expect(plan.fire.length).toBe(Math.min(total, catchUp + (current ? 1 : 0)));
          if (plan.missed) {
            expect(plan.missed.exact).toBe(true);
            expect(plan.missed.firstMs).toBe(due);
            if (plan.fire.length > 0) expect(plan.missed.lastMs).toBeLessThan(plan.fire[0]!);
            const { firstMs, lastMs } = plan.missed;
            expect(expression ? libCount(expression, firstMs, lastMs) : (lastMs - firstMs) / everyMs + 1).toBe(plan.missed.count);
          }
          // The next tick: the first after now.
          const next = expression ? libNext(expression, now) : (Math.floor(now / everyMs) + 1) * everyMs;
          expect(plan.nextMs).toBe(next);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a schedule every second down for a week writes one missed summary, not 600k rows', () => {
    const ticks = ticksOf({ kind: 'every', everyMs: 1000 });
    const due = Date.UTC(2030, 0, 1);
    const now = due + 7 * 86_400_000 + 250;
    const plan = planFiring({ ticks, dueMs: due, nowMs: now, catchUp: 1 });
    expect(plan.fire).toEqual([now - 250 - 1000, now - 250]);
    expect(plan.missed).toEqual({ firstMs: due, lastMs: now - 250 - 2000, count: 7 * 86_400 - 1, exact: true });
    expect(plan.nextMs).toBe(now - 250 + 1000);
  });

  it('with catch-up 0 after a long outage fires nothing and records the ticks missed', () => {
    const ticks = ticksOf({ kind: 'cron', expression: '0 */6 * * *' });
    const due = Date.UTC(2030, 0, 1, 6);
    const now = Date.UTC(2030, 0, 3, 7);
    const plan = planFiring({ ticks, dueMs: due, nowMs: now, catchUp: 0 });
    expect(plan.fire).toEqual([]);
    expect(plan.missed).toEqual({ firstMs: due, lastMs: Date.UTC(2030, 0, 3, 6), count: 9, exact: true });
    expect(plan.nextMs).toBe(Date.UTC(2030, 0, 3, 12));
  });

  it('counts a cron expression’s missed ticks up to a bound and says the count is a lower bound', () => {
    const ticks = ticksOf({ kind: 'cron', expression: '* * * * * *' });
    const due = Date.UTC(2030, 0, 1);
    const plan = planFiring({ ticks, dueMs: due, nowMs: due + 86_400_000, catchUp: 0 });
    expect(plan.fire).toEqual([due + 86_400_000]);
    expect(plan.missed).toMatchObject({ firstMs: due, count: 10_000, exact: false });
  });
});
