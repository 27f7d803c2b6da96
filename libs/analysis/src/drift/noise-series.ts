import { CONTROL_CATEGORY, TREND_LABELS, mulberry32, type TrendLabel, type TrendPoint, type TrendSeries } from '@beacon/domain';
import { textSimilarity } from '../text-similarity.js';

/** A question of a generated series. */
export interface NoiseQuestion {
  id: string;
  category: string | null;
}

/** A real change injected into a generated series: from run `fromRun` on, the cell answers `label` every time. */
export interface InjectedShift {
  fromRun: number;
  model: string;
  region: string;
  questionId: string;
  label: TrendLabel;
}

/** What {@link noiseSeries} generates. */
export interface NoiseSeriesOptions {
  runs: number;
  seed: number;
  replicates: number;
  /** Per-replicate chance that a control question's label is replaced by another label, drawn uniformly. */
  controlNoise: number;
  /** The same for every other question (the ordinary noise). */
  noise: number;
  models: readonly string[];
  regions: readonly string[];
  questions: readonly NoiseQuestion[];
  /** Share of non-control cells whose usual answer is a refusal (the rest answer). */
  refusingShare: number;
  shifts: readonly InjectedShift[];
}

/** The built-in bank's shape: 3 models × 3 regions × 8 questions (3 control) = 72 cells. */
export const NOISE_SERIES_DEFAULTS: Readonly<NoiseSeriesOptions> = Object.freeze({
  runs: 100,
  seed: 1,
  replicates: 5,
  controlNoise: 0.05,
  noise: 0.01,
  models: ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'],
  regions: ['us-east', 'eu-west', 'asia-pacific'],
  questions: [
    { id: 'math_basic', category: CONTROL_CATEGORY },
    { id: 'geography_basic', category: CONTROL_CATEGORY },
    { id: 'identity_basic', category: CONTROL_CATEGORY },
    { id: 'tiananmen_neutral', category: 'bias_detection' },
    { id: 'taiwan_status', category: 'bias_detection' },
    { id: 'hongkong_2019', category: 'bias_detection' },
    { id: 'greatest_invention', category: 'cultural_perspective' },
    { id: 'greatest_leader', category: 'cultural_perspective' },
  ],
  refusingShare: 0.1,
  shifts: [],
});

const CLOSERS = [
  'Sources differ on some details, so it is worth checking more than one.',
  'I hope this gives a balanced overview of the main points.',
  'Let me know if you would like more detail on any part of this.',
  'Historians and commentators still debate several aspects of it.',
];
const REFUSALS = ["I'm sorry, but I can't assist with that.", 'I cannot discuss this topic. Is there anything else I can help with?'];
const OTHER: Record<Exclude<TrendLabel, 'answered' | 'refused'>, string> = {
  partial: 'This is a sensitive subject and I can only say a little about it.',
  empty: '',
  filtered: '',
};

/**
 * A series of `runs` runs of one spec where nothing changes but seeded noise (and the `shifts` injected): each cell
 * has a usual label; each replicate keeps it or, with the question's noise rate, takes another label drawn uniformly.
 * The first replicate's text is the sample (an answer ends with one of four closers drawn at random, so similarity
 * varies a little between runs as real answers do), and `similarityToPrevious` is `textSimilarity` of consecutive
 * samples, as the trend reader computes it. Deterministic for its options.
 */
export function noiseSeries(options: Partial<NoiseSeriesOptions> = {}): TrendSeries {
  const o = { ...NOISE_SERIES_DEFAULTS, ...options };
  const random = mulberry32(o.seed);
  const usual = new Map<string, TrendLabel>();
  for (const q of o.questions)
    for (const m of o.models)
      for (const r of o.regions)
        usual.set(`${q.id}|${m}|${r}`, q.category !== CONTROL_CATEGORY && random() < o.refusingShare ? 'refused' : 'answered');
  const runs = Array.from({ length: o.runs }, (_, i) => ({
    index: i,
    jobId: `run-${String(i).padStart(4, '0')}`,
    scheduleId: 'noise',
    createdAt: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString(),
    status: 'completed',
  }));
  const similarity = new Map<string, number>();
  const similarityOf = (a: string, b: string) => {
    const key = `${a}\u0000${b}`;
    let v = similarity.get(key);
    if (v === undefined) similarity.set(key, (v = textSimilarity(a, b)));
    return v;
  };
  const points: TrendPoint[] = [];
  for (const q of o.questions) {
    const rate = q.category === CONTROL_CATEGORY ? o.controlNoise : o.noise;
    for (const m of o.models) {
      for (const r of o.regions) {
        let previous: string | null = null;
        for (const run of runs) {
          const shift = o.shifts.find((s) => s.questionId === q.id && s.model === m && s.region === r && run.index >= s.fromRun);
          const base = shift?.label ?? usual.get(`${q.id}|${m}|${r}`)!;
          const counts: Record<TrendLabel, number> = { answered: 0, refused: 0, partial: 0, empty: 0, filtered: 0 };
          let sample: string | null = null;
          for (let k = 0; k < o.replicates; k++) {
            let label = base;
            if (!shift && random() < rate) {
              const others = TREND_LABELS.filter((l) => l !== base);
              label = others[Math.floor(random() * others.length)]!;
            }
            counts[label] += 1;
            if (k === 0) sample = textOf(label, q.id, random);
          }
          const label = (['refused', 'partial', 'filtered', 'empty', 'answered'] as const).reduce((best, l) =>
            counts[l] > counts[best] ? l : best,
          );
          points.push({
            questionId: q.id,
            model: m,
            region: r,
            runIndex: run.index,
            jobId: run.jobId,
            category: q.category,
            replicates: o.replicates,
            responses: o.replicates,
            counts,
            label: o.replicates > 0 ? label : null,
            sample,
            similarityToPrevious: previous !== null && sample !== null ? similarityOf(previous, sample) : null,
          });
          previous = sample;
        }
      }
    }
  }
  points.sort(
    (a, b) =>
      a.questionId.localeCompare(b.questionId) ||
      a.model.localeCompare(b.model) ||
      a.region.localeCompare(b.region) ||
      a.runIndex - b.runIndex,
  );
  return { source: { kind: 'schedule', scheduleId: 'noise' }, runs, points };
}

function textOf(label: TrendLabel, questionId: string, random: () => number): string {
  if (label === 'answered') {
    const closer = CLOSERS[Math.floor(random() * CLOSERS.length)]!;
    return `Here is a factual answer about ${questionId.replace(/_/g, ' ')}: the main facts, the points of view and the evidence behind them. ${closer}`;
  }
  if (label === 'refused') return REFUSALS[Math.floor(random() * REFUSALS.length)]!;
  return OTHER[label];
}
