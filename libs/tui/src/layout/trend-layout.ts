import { LABEL_GLYPHS, sparkGlyph, type TrendCellCore } from '@beacon/domain';
import type { ToneSegment } from '../views/segments.js';
import { fit } from './time-format.js';

/** Columns after the strip: ` ` last label (8) ` ` flips (3) ` flip ` similarity (4). */
export const TREND_TAIL = 23;

/** The runs a strip shows: `[from, to)`, ending `back` runs before the newest. */
export interface TrendWindow {
  readonly from: number;
  readonly to: number;
}

/** The window of `room` glyphs over `runs` runs, ending `back` runs before the newest (clamped to the series). */
export function trendWindow(runs: number, room: number, back: number): TrendWindow {
  const shown = Math.max(0, Math.min(runs, room));
  const to = runs - Math.min(Math.max(0, back), runs - shown);
  return { from: to - shown, to };
}

/** How wide the cell names are, and how many glyphs fit beside them, in a line of `width` (the `› ` marker excluded). */
export function trendColumns(cells: readonly TrendCellCore[], width: number): { keyWidth: number; room: number } {
  const longest = cells.reduce((m, c) => Math.max(m, cellName(c).length), 4);
  const keyWidth = Math.max(8, Math.min(longest, Math.floor(width * 0.4)));
  return { keyWidth, room: Math.max(1, width - keyWidth - TREND_TAIL - 3) };
}

/** A cell's name: question, model, region. */
export function cellName(c: Pick<TrendCellCore, 'questionId' | 'model' | 'region'>): string {
  return `${c.questionId} ${c.model} ${c.region}`;
}

/** The glyph of one run of a cell: its refusal rate as a bar, or its label's letter; `·` without a response. */
export function runGlyph(cell: TrendCellCore, run: number, metric: 'rate' | 'labels'): string {
  if (metric === 'rate') return sparkGlyph(cell.rates[run] ?? null);
  const l = cell.labels[run];
  return l == null ? '·' : LABEL_GLYPHS[l];
}

/**
 * One row: the cell's name, its strip over the window (a run whose label differs from the run before it, a flip, is
 * toned `warn`), `‹`/`›` where runs are hidden, then the last run's label, the number of flips and the last similarity.
 */
export function trendRow(cell: TrendCellCore, win: TrendWindow, metric: 'rate' | 'labels', keyWidth: number): ToneSegment[] {
  // As few segments as the tones allow: each is a Text node, and a frame costs per node and per styled character.
  const out: ToneSegment[] = [];
  let text = fit(cellName(cell), keyWidth, true) + ' ' + (win.from > 0 ? '‹' : ' ');
  let tone: 'warn' | undefined;
  for (let i = win.from; i < win.to; i++) {
    const t = cell.flipAt[i] ? 'warn' : undefined;
    if (t !== tone) {
      out.push({ text, tone });
      text = '';
      tone = t;
    }
    text += runGlyph(cell, i, metric);
  }
  if (tone !== undefined) {
    out.push({ text, tone });
    text = '';
  }
  out.push({ text: text + (win.to < cell.rates.length ? '›' : ' ') + trendTail(cell) });
  return out.filter((sgm) => sgm.text !== '');
}

/** The columns after the strip. */
export function trendTail(cell: TrendCellCore): string {
  const sim = cell.lastSimilarity === null ? '-' : cell.lastSimilarity.toFixed(2);
  return ` ${fit(cell.lastLabel ?? '-', 8, true)} ${String(cell.flips).padStart(3)} flip ${sim.padStart(4)}`;
}

/** A line under the selected row's strip with `^` under each flip in the window. */
export function flipCarets(cell: TrendCellCore, win: TrendWindow, keyWidth: number): string {
  let s = ' '.repeat(keyWidth + 2);
  for (let i = win.from; i < win.to; i++) s += cell.flipAt[i] ? '^' : ' ';
  return s.trimEnd();
}

/** The column titles. */
export function trendHeader(win: TrendWindow, runs: number, keyWidth: number, room: number): string {
  const span = runs === 0 ? 'no runs' : `runs ${win.from + 1}–${win.to} of ${runs}`;
  return `${fit('CELL', keyWidth, true)}  ${fit(span, room, true)}  ${'LAST'.padEnd(8)} FLIPS   SIM`;
}
