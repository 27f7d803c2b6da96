import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { axesDifference } from './trend-axes.js';
import { labelStrip, sparkGlyph, sparkline, trendCellKey, trendCells } from './trend-cells.js';
import { TREND_LABELS, type TrendLabel, type TrendPoint, type TrendSeries } from './trend.types.js';

const point = (
  runIndex: number,
  q: string,
  label: TrendLabel | null,
  refused: number,
  responses: number,
  sim: number | null = null,
): TrendPoint => ({
  questionId: q,
  model: 'm',
  region: 'r',
  runIndex,
  jobId: `j${runIndex}`,
  category: null,
  replicates: Math.max(1, responses),
  responses,
  counts: { answered: responses - refused, partial: 0, refused, empty: 0, filtered: 0 },
  label,
  sample: null,
  similarityToPrevious: sim,
});
const series = (runs: number, points: TrendPoint[]): Pick<TrendSeries, 'runs' | 'points'> => ({
  runs: Array.from({ length: runs }, (_, index) => ({
    index,
    jobId: `j${index}`,
    scheduleId: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    status: 'completed',
  })),
  points,
});

describe(trendCells.name, () => {
  it('gives each cell its rates, labels and flips per run; a run without a label neither flips nor breaks a flip', () => {
    const [c] = trendCells(
      series(5, [
        point(0, 'q', 'answered', 0, 2),
        point(1, 'q', 'refused', 2, 2),
        point(2, 'q', null, 0, 0),
        point(3, 'q', 'refused', 1, 2),
        point(4, 'q', 'answered', 0, 1, 0.5),
      ]),
    );
    expect(c!.rates).toEqual([0, 1, null, 0.5, 0]);
    expect(c!.labels).toEqual(['answered', 'refused', null, 'refused', 'answered']);
    expect(c!.flipAt).toEqual([false, true, false, false, true]);
    expect(c).toMatchObject({ flips: 2, lastLabel: 'answered', lastSimilarity: 0.5 });
  });

  it('counts flips as label changes between consecutive labelled runs, for any history (independent count)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.constantFrom(...TREND_LABELS), { nil: null }), { minLength: 1, maxLength: 40 }), (labels) => {
        const [c] = trendCells(
          series(
            labels.length,
            labels.map((l, i) => point(i, 'q', l, l === 'refused' ? 1 : 0, l ? 1 : 0)),
          ),
        );
        let flips = 0;
        for (let i = 1; i < labels.length; i++) if (labels[i] && labels[i - 1] && labels[i] !== labels[i - 1]) flips++;
        expect(c!.flips).toBe(flips);
        expect(c!.flipAt.filter(Boolean)).toHaveLength(flips);
        expect(labelStrip(c!.labels)).toHaveLength(labels.length);
      }),
    );
  });

  it('orders cells by question, model, region and leaves runs a cell misses empty', () => {
    const cells = trendCells(series(3, [point(2, 'b', 'answered', 0, 1), point(0, 'a', 'refused', 1, 1)]));
    expect(cells.map((c) => c.questionId)).toEqual(['a', 'b']);
    expect(cells[1]!.points.map((p) => p?.runIndex ?? null)).toEqual([null, null, 2]);
  });
});

describe(sparkline.name, () => {
  it('maps 0 to the lowest bar, 1 to the highest, and gaps to ·', () => {
    expect(sparkline([0, 0.5, 1, null])).toBe('▁▅█·');
    expect(sparkGlyph(-1)).toBe('▁');
    expect(sparkGlyph(2)).toBe('█');
  });
});

describe(axesDifference.name, () => {
  it('names what is missing and extra per axis, or null when equal', () => {
    const a = { questions: ['q1', 'q2'], models: ['m'], regions: ['r1'] };
    expect(axesDifference(a, a)).toBeNull();
    expect(axesDifference(a, { questions: ['q2', 'q3'], models: ['m'], regions: ['r1', 'r2'] })).toBe(
      'questions: missing q1, extra q3; regions: extra r2',
    );
  });
});

describe('trend cells of a job with variants', () => {
  it('keeps two variants of one (question, model, region) as two cells, and the default variant under its old key', () => {
    const zh = (p: TrendPoint): TrendPoint => ({ ...p, variant: 'lang=zh-Hans' });
    const cells = trendCells(
      series(2, [
        point(0, 'q', 'answered', 0, 1),
        point(1, 'q', 'answered', 0, 1),
        zh(point(0, 'q', 'refused', 1, 1)),
        zh(point(1, 'q', 'answered', 0, 1)),
      ]),
    );
    expect(cells.map((c) => [c.variant ?? '', c.labels, c.flips])).toEqual([
      ['', ['answered', 'answered'], 0],
      ['lang=zh-Hans', ['refused', 'answered'], 1],
    ]);
    expect(trendCellKey(point(0, 'q', null, 0, 0))).toBe(JSON.stringify(['q', 'm', 'r']));
  });

  it('names runs whose variants differ, a run without variants having the default one', () => {
    const a = { questions: ['q'], models: ['m'], regions: ['r'] };
    expect(axesDifference(a, { ...a, variants: ['lang=en', 'lang=zh-Hans'] })).toBe(
      'variants: missing default, extra lang=en, lang=zh-Hans',
    );
    expect(axesDifference({ ...a, variants: ['lang=en'] }, { ...a, variants: ['lang=en'] })).toBeNull();
  });
});
