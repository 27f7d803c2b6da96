/**
 * Cron expressions, evaluated in UTC: five fields (minute hour day-of-month month day-of-week) or six (seconds first).
 * Each field takes `*`, a value, a range `a-b`, a step `*​/n`, `a-b/n` or `a/n`, and comma lists of those; months and
 * weekdays also take their English three-letter names, and weekday 7 is Sunday. When both day fields are restricted,
 * a day matches if either does (Vixie cron's rule, which the `cron` package that drives Nest's scheduler also follows).
 *
 * Written here rather than taken from the `cron` package because a schedule's plan walks ticks backwards as well as
 * forwards and counts missed ticks: the package steps forwards only, at about 0.1 ms a step, while a step here is a few
 * date operations. The unit tests compare both on generated expressions.
 */

/** A parsed expression: the allowed values of each field. */
export interface CronExpression {
  readonly source: string;
  /** Six fields: ticks can fall on any second; otherwise only on whole minutes. */
  readonly withSeconds: boolean;
  readonly second: ReadonlySet<number>;
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly dayOfMonth: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  /** 0 (Sunday) to 6. */
  readonly dayOfWeek: ReadonlySet<number>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of the first name (months count from 1). */
  namesFrom?: number;
}

const SECOND: FieldDef = { name: 'second', min: 0, max: 59 };
const FIELDS: FieldDef[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, namesFrom: 0 },
];

/** How far ahead a tick is looked for: an expression with none in this time never fires (e.g. 30 February). */
export const CRON_HORIZON_MS = 10 * 366 * 86_400_000;

/** Parses an expression, or says which field is wrong and why. */
export function parseCron(text: string): { ok: true; cron: CronExpression } | { ok: false; problem: string } {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 5 && parts.length !== 6) {
    return { ok: false, problem: `needs 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${parts.length}` };
  }
  const withSeconds = parts.length === 6;
  const defs = withSeconds ? [SECOND, ...FIELDS] : FIELDS;
  const sets: Set<number>[] = [];
  for (let i = 0; i < defs.length; i++) {
    const parsed = parseField(parts[i]!, defs[i]!);
    if (typeof parsed === 'string') return { ok: false, problem: `${defs[i]!.name} field "${parts[i]}": ${parsed}` };
    sets.push(parsed);
  }
  const [second, minute, hour, dayOfMonth, month, dow] = withSeconds ? sets : [new Set([0]), ...sets];
  if (dow!.delete(7)) dow!.add(0);
  const cron: CronExpression = {
    source: parts.join(' '),
    withSeconds,
    second: second!,
    minute: minute!,
    hour: hour!,
    dayOfMonth: dayOfMonth!,
    month: month!,
    dayOfWeek: dow!,
  };
  return { ok: true, cron };
}

function parseField(text: string, def: FieldDef): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/i.exec(item);
    if (!m) return `"${item}" is not a value, a range or a step`;
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (!Number.isSafeInteger(step) || step < 1) return `step in "${item}" must be a positive integer`;
    let lo: number;
    let hi: number;
    if (m[1] === '*') {
      lo = def.min;
      hi = def.name === 'day of week' ? 6 : def.max;
    } else {
      const [a, b] = m[1]!.split('-');
      const va = value(a!, def);
      if (typeof va === 'string') return va;
      lo = va;
      if (b !== undefined) {
        const vb = value(b, def);
        if (typeof vb === 'string') return vb;
        hi = vb;
      } else {
        // `a/n` runs from a to the end of the field.
        hi = m[2] === undefined ? va : def.name === 'day of week' ? 6 : def.max;
      }
      if (hi < lo) return `range "${m[1]}" runs backwards`;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function value(text: string, def: FieldDef): number | string {
  const named = def.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (def.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) return `"${text}" is not a number${def.names ? ` or a ${def.name} name` : ''}`;
  const n = Number(text);
  if (n < def.min || n > def.max) return `${n} is outside ${def.min}-${def.max}`;
  return n;
}

/** Whether the expression allows every value of the field (then the other day field alone decides). */
function unrestricted(set: ReadonlySet<number>, size: number): boolean {
  return set.size >= size;
}

function dayMatches(c: CronExpression, d: Date): boolean {
  const dom = c.dayOfMonth.has(d.getUTCDate());
  const dow = c.dayOfWeek.has(d.getUTCDay());
  const domAll = unrestricted(c.dayOfMonth, 31);
  const dowAll = unrestricted(c.dayOfWeek, 7);
  if (!domAll && !dowAll) return dom || dow;
  return dom && dow;
}

/** The first tick strictly after `afterMs` (ms since the epoch), or null if none within {@link CRON_HORIZON_MS}. */
export function nextCronTick(c: CronExpression, afterMs: number): number | null {
  const unit = c.withSeconds ? 1000 : 60_000;
  let t = Math.floor(afterMs / unit) * unit + unit;
  const limit = afterMs + CRON_HORIZON_MS;
  while (t <= limit) {
    const d = new Date(t);
    const [y, mo, day, h, mi, s] = [
      d.getUTCFullYear(),
      d.getUTCMonth(),
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ];
    if (!c.month.has(mo + 1)) t = Date.UTC(y, mo + 1, 1);
    else if (!dayMatches(c, d)) t = Date.UTC(y, mo, day + 1);
    else if (!c.hour.has(h)) t = Date.UTC(y, mo, day, h + 1);
    else if (!c.minute.has(mi)) t = Date.UTC(y, mo, day, h, mi + 1);
    else if (!c.second.has(s)) t = Date.UTC(y, mo, day, h, mi, s + 1);
    else return t;
  }
  return null;
}

/** The last tick at or before `atMs` and not before `floorMs`, or null if there is none in between. */
export function prevCronTick(c: CronExpression, atMs: number, floorMs: number): number | null {
  const unit = c.withSeconds ? 1000 : 60_000;
  let t = Math.floor(atMs / unit) * unit;
  while (t >= floorMs) {
    const d = new Date(t);
    const [y, mo, day, h, mi] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
    // Each step goes to the last whole unit before the start of the field value that does not match.
    if (!c.month.has(mo + 1)) t = Date.UTC(y, mo, 1) - unit;
    else if (!dayMatches(c, d)) t = Date.UTC(y, mo, day) - unit;
    else if (!c.hour.has(h)) t = Date.UTC(y, mo, day, h) - unit;
    else if (!c.minute.has(mi)) t = Date.UTC(y, mo, day, h, mi) - unit;
    else if (!c.second.has(d.getUTCSeconds())) t -= 1000;
    else return t;
  }
  return null;
}
