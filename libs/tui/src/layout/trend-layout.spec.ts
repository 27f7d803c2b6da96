import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { trendCells, type TrendLabel, type TrendPoint, type TrendSeries } from '@beacon/domain';
import { flipCarets, trendColumns, trendHeader, trendRow, trendWindow, TREND_TAIL } from './trend-layout.js';

const LABELS: TrendLabel[] = ['answered', 'refused', 'partial'];
function seriesOf(labels: (TrendLabel | null)[], q = 'q'): Pick<TrendSeries, 'runs' | 'points'> {
  return {
    runs: labels.map((_, index) => ({
      index,
      jobId: `j${index}`,
      scheduleId: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      status: 'completed',
    })),
    points: labels.map((label, runIndex): TrendPoint => ({
      questionId: q,
      model: 'm',
      region: 'us-east',
      runIndex,
      jobId: `j${runIndex}`,
      category: null,
      replicates: 2,
      responses: label ? 2 : 0,
      counts: {
        answered: label === 'answered' ? 2 : 0,
        partial: label === 'partial' ? 2 : 0,
        refused: label === 'refused' ? 2 : 0,
        empty: 0,
        filtered: 0,
      },
      label,
      sample: null,
      similarityToPrevious: runIndex > 0 ? 0.25 : null,
    })),
  };
}
const text = (segs: { text: string }[]) => segs.map((s) => s.text).join('');

describe(trendWindow.name, () => {
  it('shows the newest runs that fit, and never scrolls past either end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: -5, max: 3000 }),
        (runs, room, back) => {
          const w = trendWindow(runs, room, back);
          expect(w.to - w.from).toBe(Math.min(runs, room));
          expect(w.from).toBeGreaterThanOrEqual(0);
          expect(w.to).toBeLessThanOrEqual(runs);
          if (back <= 0) expect(w.to).toBe(runs);
        },
      ),
    );
  });
});

describe(trendRow.name, () => {
  it('draws one glyph per run in the window, tones exactly the flips, and fits the width', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.constantFrom(...LABELS), { nil: null }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 40, max: 200 }),
        fc.nat(400),
        (labels, width, back) => {
          const [cell] = trendCells(seriesOf(labels));
          const { keyWidth, room } = trendColumns([cell!], width);
          const w = trendWindow(labels.length, room, back);
          const segs = trendRow(cell!, w, 'rate', keyWidth);
          const line = text(segs);
          expect(line.length).toBeLessThanOrEqual(width);
          const strip = line.slice(keyWidth + 2, keyWidth + 2 + (w.to - w.from));
          const want = labels
            .slice(w.from, w.to)
            .map((l) => (l === null ? '·' : l === 'refused' ? '█' : '▁'))
            .join('');
          expect(strip).toBe(want);
          expect(line[keyWidth + 1]).toBe(w.from > 0 ? '‹' : ' ');
          const flips = labels.map((l, i) => i > 0 && l !== null && labels[i - 1] != null && l !== labels[i - 1]);
          const toned = segs.filter((s) => s.tone === 'warn').reduce((a, s) => a + s.text.length, 0);
          expect(toned).toBe(flips.slice(w.from, w.to).filter(Boolean).length);
          const carets = flipCarets(cell!, w, keyWidth).padEnd(keyWidth + 2 + w.to - w.from);
          expect([...carets.slice(keyWidth + 2)].map((c) => c === '^')).toEqual(flips.slice(w.from, w.to));
        },
      ),
    );
  });

  it('shows labels as letters, then the last label, flips and similarity', () => {
    const [cell] = trendCells(seriesOf(['answered', 'refused', null, 'refused', 'partial']));
    const line = text(trendRow(cell!, trendWindow(5, 20, 0), 'labels', 16));
    expect(line).toBe('q m us-east      ' + ' AR·RP ' + ' partial    2 flip 0.25');
    expect(line.length).toBe(17 + 7 + TREND_TAIL);
  });

  it('titles the columns with the runs shown', () => {
    expect(trendHeader({ from: 940, to: 1000 }, 1000, 10, 60)).toMatch(/^CELL {8}runs 941–1000 of 1000 +LAST +FLIPS +SIM$/);
  });
});
