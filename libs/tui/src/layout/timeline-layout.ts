import { endsBeforeStartMs, type TimelineAttemptView, type TimelineLaneView, type TimelineMark } from '@beacon/domain';

/** The part of the job's span the timeline shows, in epoch ms. */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
}

/** How a run of bar cells is drawn. */
export type BarTone = 'succeeded' | 'error' | 'final' | 'lease' | 'inflight' | 'other' | 'backwards' | 'gap' | 'empty';

/** A run of same-tone characters. */
export interface Segment<T extends string = BarTone> {
  readonly text: string;
  readonly tone: T;
}

const GLYPH: Record<BarTone, string> = {
  succeeded: '█',
  error: '▒',
  final: 'X',
  lease: '░',
  inflight: '▶',
  other: '▪',
  backwards: '◀',
  gap: '┄',
  empty: ' ',
};

/** Glyphs of the lane marks, in display order (impossible times first: the mark column is cut to a few letters). */
export const MARK_GLYPHS: readonly [TimelineMark, string, string][] = [
  ['impossible_times', 'T', 'impossible times: an attempt ends before it starts (kept as imported)'],
  ['duplicate', 'D', 'duplicate cell: another execution of this job has the same cell'],
  ['retried', 'R', 'retried: more than one attempt'],
  ['lease_expired', 'L', 'a lease expired during an attempt'],
  ['out_of_spec', 'O', "out of spec: model, region or question not in the job's spec"],
  ['prompt_drift', 'P', 'prompt drift: attempts or duplicates ran with different prompts'],
  ['superseded', 'S', 'superseded by a reconciler repair'],
];

/** Bar legend for the help. */
export const BAR_LEGEND = `${GLYPH.succeeded} succeeded  ${GLYPH.error} retryable error  ${GLYPH.final} final error  ${GLYPH.lease} lease expired  ${GLYPH.inflight} in flight  ${GLYPH.backwards} ends before it starts  ${GLYPH.gap} gap`;

/** The fixed-width mark column of a lane, e.g. `DR  `. */
export function markColumn(marks: readonly TimelineMark[], width = 3): string {
  return MARK_GLYPHS.filter(([m]) => marks.includes(m))
    .map(([, g]) => g)
    .join('')
    .slice(0, width)
    .padEnd(width);
}

/** The window shown at a zoom (1 = whole span) and offset (fraction of the span where the window starts). */
export function timeWindow(from: number, to: number, zoom: number, offset: number): TimeWindow {
  const span = Math.max(1, to - from);
  const start = from + span * offset;
  return { from: start, to: start + span / zoom };
}

const toneOf = (a: TimelineAttemptView): BarTone => {
  if (a.endedAt === null) return 'inflight';
  switch (a.outcome) {
    case 'succeeded':
      return 'succeeded';
    case 'retryable_error':
      return 'error';
    case 'final_error':
      return 'final';
    case 'lease_expired':
      return 'lease';
    default:
      return 'other';
  }
};

/** Column of a time in a window drawn over `width` columns (may fall outside 0..width-1). */
export function column(t: number, w: TimeWindow, width: number): number {
  return Math.floor(((t - w.from) / Math.max(1, w.to - w.from)) * width);
}

/**
 * One lane's attempts as a bar of `width` characters on the shared axis; each attempt is at least one column wide and
 * later attempts draw over earlier ones. `now` ends attempts still in flight. An attempt that ends before it starts
 * (imported history) is drawn as `backwards` from its end to its start, never as if its times were in order.
 */
export function laneBar(
  attempts: readonly TimelineAttemptView[],
  w: TimeWindow,
  width: number,
  now: number,
  gaps: readonly Gap[] = [],
): Segment[] {
  const cells = new Array<BarTone>(Math.max(0, width)).fill('empty');
  for (const g of gaps) paint(cells, column(g.from, w, width) + 1, column(g.to, w, width) - 1, 'gap');
  for (const a of attempts) {
    const start = Date.parse(a.startedAt);
    const end = a.endedAt ? Date.parse(a.endedAt) : Math.max(start, now);
    const backwards = endsBeforeStartMs(a) !== null;
    const [lo, hi] = backwards ? [end, start] : [start, end];
    if (hi < w.from || lo > w.to) continue;
    const x0 = column(lo, w, width);
    paint(cells, x0, Math.max(x0, column(hi, w, width) - 1), backwards ? 'backwards' : toneOf(a));
  }
  return segments(cells);
}

function paint(cells: BarTone[], x0: number, x1: number, tone: BarTone): void {
  for (let x = Math.max(0, x0); x <= Math.min(cells.length - 1, x1); x++) cells[x] = tone;
}

function segments(cells: readonly BarTone[]): Segment[] {
  const out: Segment[] = [];
  for (const tone of cells) {
    const last = out[out.length - 1];
    if (last && last.tone === tone) out[out.length - 1] = { text: last.text + GLYPH[tone], tone };
    else out.push({ text: GLYPH[tone], tone });
  }
  return out;
}

/** A silence: no attempt of the job started between `from` and `to`. */
export interface Gap {
  readonly from: number;
  readonly to: number;
}

/**
 * Silences between consecutive attempt starts that are at least `minMs` long and at least `minShare` of the span: the
 * pauses an operator should ask about (a backlog that stalled, a retry burst after a silence, a cell run again later).
 */
export function findGaps(lanes: readonly TimelineLaneView[], minMs = 30_000, minShare = 0.1): Gap[] {
  const starts = lanes
    .flatMap((l) => l.attempts.map((a) => Date.parse(a.startedAt)))
    .filter(Number.isFinite)
    .sort((x, y) => x - y);
  const [first] = starts;
  const last = starts.at(-1);
  if (first === undefined || last === undefined) return [];
  const span = last - first;
  return consecutivePairs(starts)
    .filter(([from, to]) => to - from >= minMs && to - from >= span * minShare)
    .map(([from, to]) => ({ from, to }));
}

/** Each element with the one after it: `[a, b, c]` gives `[a, b], [b, c]`. */
export function consecutivePairs<T>(xs: readonly T[]): [T, T][] {
  const pairs: [T, T][] = [];
  let previous: { value: T } | null = null;
  for (const x of xs) {
    if (previous) pairs.push([previous.value, x]);
    previous = { value: x };
  }
  return pairs;
}

/** The axis line: `from` time on the left, `to` time on the right, gaps drawn as `┄`. */
export function axisLine(w: TimeWindow, width: number, gaps: readonly Gap[], label: (t: number) => string): string {
  const cells = new Array(Math.max(0, width)).fill('─');
  for (const g of gaps)
    for (let x = Math.max(0, column(g.from, w, width) + 1); x <= Math.min(width - 1, column(g.to, w, width) - 1); x++) cells[x] = '┄';
  const left = label(w.from);
  const right = label(w.to);
  if (width >= left.length + right.length + 2) {
    cells.splice(0, left.length, ...left);
    cells.splice(width - right.length, right.length, ...right);
  }
  return cells.join('');
}
