import type { FindingView } from '@beacon/domain';
import type {
  ServedByRow,
  AnswerSample,
  JobAnalysis,
  NoiseFloor,
  PairAnalysis,
  RefusalCell,
  RegionPairDistance,
  RegionPattern,
} from './analysis.types.js';
import { dataQualityNotes } from './data-quality.js';
import {
  DistanceTable,
  PairSums,
  bootstrapBand,
  divergenceOf,
  hashString,
  sampleIndices,
  withinRegionDistance,
  type LabelledText,
} from './divergence.js';
import { countLabels, labelOf, majorityLabel, wilson, type AnalysisCell } from './rates.js';

/** Everything {@link analyseJob} needs: the job's axes from its spec, its cells and its open findings. */
export interface AnalysisInput {
  jobId: string;
  status: string;
  benchmark: string;
  questions: { id: string; text: string | null; category: string | null }[];
  models: string[];
  regions: string[];
  /** The job's variant ids in matrix order; left out for a job without variants (its one variant is `''`). */
  variants?: string[];
  repeats: number;
  cellsExpected: number;
  cells: readonly AnalysisCell[];
  findings: readonly FindingView[];
  now?: Date;
  /** Bootstrap resamples per pair (default 500). */
  resamples?: number;
  /** Base seed of the bootstrap (default 1); each pair mixes in its question and model. */
  seed?: number;
  /**
   * Replicates per region up to which a pair is compared over every pair of responses (default 64). Above it the point
   * estimates come from exact sums and the band from a seeded sample of this many responses per region; the answers
   * listed per region are bounded by it too.
   */
  sampleReplicates?: number;
  /** The longest response text (characters) the analysis was given; stated in the method (default: none). */
  maxTextChars?: number | null;
  /** Who served the job's results and where, counted from the rows (default: none known). */
  servedBy?: readonly ServedByRow[];
}

/** Default of {@link AnalysisInput.sampleReplicates}. */
export const SAMPLE_REPLICATES = 64;

/** The category whose questions set the noise floor. */
export const CONTROL_CATEGORY = 'control';
/** A divergence must beat the floor by more than this to count (rounding noise). */
const EPSILON = 1e-9;

/** Analyses one job across regions: refusal patterns, answer divergence with bands, the control noise floor, data quality. */
export function analyseJob(input: AnalysisInput): JobAnalysis {
  const resamples = input.resamples ?? 500;
  const seed = input.seed ?? 1;
  const sampleReplicates = input.sampleReplicates ?? SAMPLE_REPLICATES;
  const questions = withExtras(
    input.questions.map((q) => q.id),
    input.cells.map((c) => c.questionId),
  );
  const models = withExtras(
    input.models,
    input.cells.map((c) => c.modelId),
  );
  const regions = withExtras(
    input.regions,
    input.cells.map((c) => c.region),
  );
  const hasVariants = input.variants !== undefined;
  const variants = withExtras(
    input.variants ?? [''],
    input.cells.map((c) => c.variant ?? ''),
  );
  const questionInfo = new Map(input.questions.map((q) => [q.id, q]));
  const category = (id: string) => questionInfo.get(id)?.category ?? null;
  const isControl = (id: string) => (category(id) ?? '').toLowerCase() === CONTROL_CATEGORY;

  const groups = new Map<string, AnalysisCell[]>();
  const add = (k: string, c: AnalysisCell) => {
    const list = groups.get(k);
    if (list) list.push(c);
    else groups.set(k, [c]);
  };
  // Keys are JSON arrays: ids and variants may hold any character but the ones JSON escapes.
  const pairKey = (questionId: string, modelId: string, variant: string, region: string) =>
    JSON.stringify(['p', questionId, modelId, variant, region]);
  for (const c of input.cells) {
    add(pairKey(c.questionId, c.modelId, c.variant ?? '', c.region), c);
    add(JSON.stringify(['v', c.variant ?? '', c.region, c.modelId]), c);
    add(`m|${c.region}|${c.modelId}`, c);
    add(`c|${category(c.questionId) ?? 'uncategorised'}|${c.region}|${c.modelId}`, c);
  }
  const cellsOf = (k: string) => groups.get(k) ?? [];

  const refusalCell = (region: string, modelId: string, cells: AnalysisCell[], cat?: string): RefusalCell => {
    const counts = countLabels(cells);
    return {
      region,
      modelId,
      ...(cat !== undefined ? { category: cat } : {}),
      counts,
      refusal: wilson(counts.refused, counts.responses),
      refusalOrPartial: wilson(counts.refused + counts.partial, counts.responses),
    };
  };
  const refusalMatrix = regions.flatMap((r) => models.map((m) => refusalCell(r, m, cellsOf(`m|${r}|${m}`))));
  const categories = withExtras(
    questions.map((q) => category(q) ?? 'uncategorised'),
    [],
  );
  const refusalByCategory = categories.flatMap((cat) =>
    regions.flatMap((r) =>
      models.filter((m) => cellsOf(`c|${cat}|${r}|${m}`).length > 0).map((m) => refusalCell(r, m, cellsOf(`c|${cat}|${r}|${m}`), cat)),
    ),
  );

  const refusalByVariant = variants.flatMap((v) =>
    regions.flatMap((r) => models.map((m) => ({ ...refusalCell(r, m, cellsOf(JSON.stringify(['v', v, r, m]))), variant: v }))),
  );

  const pairs: PairAnalysis[] = [];
  for (const questionId of questions) {
    for (const variant of variants) {
      for (const modelId of models) {
        const perRegion = regions.map((region) => ({
          region,
          cells: [...cellsOf(pairKey(questionId, modelId, variant, region))].sort((a, b) => a.replicate - b.replicate),
        }));
        if (perRegion.every((r) => r.cells.length === 0)) continue;
        const pair = analysePair({
          questionId,
          modelId,
          questionText: questionInfo.get(questionId)?.text ?? null,
          category: category(questionId),
          isControl: isControl(questionId),
          perRegion,
          resamples,
          // The default variant keeps the seed (and so the band) it always had.
          seed: hashString(variant ? `${questionId}\u0000${modelId}\u0000${variant}` : `${questionId}\u0000${modelId}`, seed),
          sampleReplicates,
        });
        pairs.push(variant ? { variant, ...pair } : pair);
      }
    }
  }

  const controls = questions.filter(isControl);
  const noiseFloor = floorOf(pairs, models, controls);
  // A pair is judged against the control questions asked in its own variant (same language, same prompt).
  const floorByVariant = hasVariants
    ? Object.fromEntries(
        variants.map((v) => [
          v,
          floorOf(
            pairs.filter((p) => (p.variant ?? '') === v),
            models,
            controls,
          ),
        ]),
      )
    : undefined;
  for (const p of pairs) {
    const floor = floorByVariant?.[p.variant ?? ''] ?? noiseFloor;
    p.noiseFloor = floor.byModel[p.modelId] ?? floor.overall;
    if (p.noiseFloor !== null && p.divergence !== null) p.exceedsNoise = (p.band?.low ?? p.divergence) > p.noiseFloor + EPSILON;
  }
  pairs.sort(byDivergence);

  const all = countLabels(input.cells);
  const compared = pairs.filter((p) => p.divergence !== null);
  // Missing cells are the spec's: a cell outside it (an extra question, model or region) adds none to the planned set.
  const planned = {
    questions: input.questions.map((q) => q.id),
    models: input.models,
    regions: input.regions,
    ...(input.variants ? { variants: input.variants } : {}),
    repeats: input.repeats,
  };
  const dataQuality = dataQualityNotes(planned, input.cells, input.findings);
  const summary = {
    cellsExpected: input.cellsExpected,
    cells: input.cells.length,
    responses: all.responses,
    noResponse: all.noResponse,
    refusal: wilson(all.refused, all.responses),
    pairsCompared: compared.length,
    pairsAboveNoise: compared.filter((p) => !p.isControl && p.exceedsNoise === true).length,
    highlights: [] as string[],
  };
  const analysis: JobAnalysis = {
    jobId: input.jobId,
    status: input.status,
    benchmark: input.benchmark,
    generatedAt: (input.now ?? new Date()).toISOString(),
    questions: questions.map((id) => ({ id, text: questionInfo.get(id)?.text ?? null, category: category(id) })),
    models,
    regions,
    ...(hasVariants ? { variants } : {}),
    repeats: input.repeats,
    summary,
    refusalMatrix,
    refusalByCategory,
    ...(hasVariants ? { refusalByVariant } : {}),
    noiseFloor,
    ...(floorByVariant ? { noiseFloorByVariant: floorByVariant } : {}),
    pairs,
    dataQuality,
    servedBy: [...(input.servedBy ?? [])],
    method: {
      similarity:
        'cosine of character 3-gram counts over NFKC-normalised, lower-cased text with punctuation removed (no tokeniser, so it works for Chinese as for English)',
      distance:
        'label-gated: 1 for different labels (answered vs partial: 0.5 + half the text distance), 0 for two refusals / empty / filtered responses, 1 − text similarity for two answers',
      divergence: 'mean over every two regions of the mean distance between their responses',
      band: `95 % percentile bootstrap over replicates (each region's replicates resampled with replacement, ${resamples} resamples), widened to contain the estimate`,
      noiseFloor: `highest divergence (band high with replicates) among the model's questions of category "${CONTROL_CATEGORY}"; a pair exceeds it when its divergence (band low with replicates) is higher`,
      bootstrapResamples: resamples,
      bootstrapSeed: seed,
      sampling: `pairs with at most ${sampleReplicates} responses per region are compared over every pair of responses; above that, divergence, agreement, similarity and within-region distance stay exact (sums of unit 3-gram vectors, linear in replicates) and only the band is bootstrapped over a seeded sample of ${sampleReplicates} responses per region (such pairs carry a "sampling" note; ${pairs.filter((p) => p.sampling).length} here)`,
      sampleReplicates,
      maxTextChars: input.maxTextChars ?? null,
    },
  };
  summary.highlights = highlights(analysis);
  return analysis;
}

interface PairInput {
  questionId: string;
  modelId: string;
  questionText: string | null;
  category: string | null;
  isControl: boolean;
  perRegion: { region: string; cells: AnalysisCell[] }[];
  resamples: number;
  seed: number;
  sampleReplicates: number;
}

function analysePair(p: PairInput): PairAnalysis {
  const all: AnswerSample[][] = [];
  const regions: RegionPattern[] = p.perRegion.map(({ region, cells }) => {
    const counts = countLabels(cells);
    const answers: AnswerSample[] = cells.flatMap((c) => {
      const label = labelOf(c);
      return label === null
        ? []
        : [
            {
              executionId: c.id,
              replicate: c.replicate,
              label,
              text: c.response ?? '',
              ...(c.responseTruncated ? { truncated: true as const } : {}),
            },
          ];
    });
    all.push(answers);
    // The answers listed are bounded like the sample: the first replicates, with a count of the rest.
    const listed = answers.length > p.sampleReplicates ? answers.slice(0, p.sampleReplicates) : answers;
    const omitted = answers.length - listed.length;
    return {
      region,
      counts,
      refusal: wilson(counts.refused, counts.responses),
      majority: majorityLabel(counts),
      answers: listed,
      ...(omitted ? { answersOmitted: omitted } : {}),
    };
  });
  const responses: LabelledText[][] = all.map((list) => list.map((a) => ({ label: a.label, text: a.text })));
  const rates = regions.filter((r) => r.refusal.rate !== null).map((r) => r.refusal.rate!);
  const common = {
    questionId: p.questionId,
    questionText: p.questionText,
    category: p.category,
    isControl: p.isControl,
    modelId: p.modelId,
    regions,
    pattern: patternOf(regions),
    refusalSpread: rates.length >= 2 ? Math.max(...rates) - Math.min(...rates) : 0,
  };
  // Few replicates: every pair of responses, as always (cheap, and the numbers stay exactly what they were).
  if (responses.every((list) => list.length <= p.sampleReplicates)) {
    return { ...common, ...pairwise(regions, responses, p), sampling: null, noiseFloor: null, exceedsNoise: null };
  }
  return { ...common, ...bySums(regions, responses, p), noiseFloor: null, exceedsNoise: null };
}

/** Point estimates and band over every pair of responses (quadratic in replicates). */
function pairwise(regions: RegionPattern[], responses: LabelledText[][], p: PairInput) {
  const table = new DistanceTable(responses);
  const divergence = divergenceOf(table, table.groups);
  const regionPairs: RegionPairDistance[] = [];
  let agreeing = 0;
  let simSum = 0;
  let between = 0;
  for (let a = 0; a < regions.length; a++) {
    for (let b = a + 1; b < regions.length; b++) {
      const ga = table.groups[a]!;
      const gb = table.groups[b]!;
      if (!ga.length || !gb.length) continue;
      let agree = 0;
      let sim = 0;
      for (const i of ga)
        for (const j of gb) {
          if (table.responses[i]!.label === table.responses[j]!.label) agree += 1;
          sim += table.similarity(i, j);
        }
      const n = ga.length * gb.length;
      regionPairs.push({
        a: regions[a]!.region,
        b: regions[b]!.region,
        distance: table.meanBetween(ga, gb),
        labelAgreement: agree / n,
        textSimilarity: sim / n,
      });
      agreeing += agree;
      simSum += sim;
      between += n;
    }
  }
  return {
    divergence,
    band: bootstrapBand(table, table.groups, p.resamples, p.seed),
    withinRegion: withinRegionDistance(table, table.groups),
    labelAgreement: between ? agreeing / between : null,
    textSimilarity: between ? simSum / between : null,
    regionPairs,
  };
}

/**
 * Many replicates: exact point estimates from sums of unit gram vectors (linear in replicates, see {@link PairSums}),
 * and the bootstrap band over a seeded sample of `sampleReplicates` responses per region, widened to contain the
 * exact estimate. A band from fewer replicates is wider than one from all of them, so it errs on the side of "not
 * above the noise floor".
 */
function bySums(regions: RegionPattern[], responses: LabelledText[][], p: PairInput) {
  const sums = new PairSums(responses);
  const regionPairs: RegionPairDistance[] = [];
  let agreeing = 0;
  let simSum = 0;
  let between = 0;
  for (let a = 0; a < regions.length; a++) {
    for (let b = a + 1; b < regions.length; b++) {
      if (!responses[a]!.length || !responses[b]!.length) continue;
      const r = sums.between(a, b);
      regionPairs.push({
        a: regions[a]!.region,
        b: regions[b]!.region,
        distance: r.distance / r.pairs,
        labelAgreement: r.agreeing / r.pairs,
        textSimilarity: r.similarity / r.pairs,
      });
      agreeing += r.agreeing;
      simSum += r.similarity;
      between += r.pairs;
    }
  }
  const divergence = sums.divergence();
  const sample = responses.map((list, i) =>
    sampleIndices(list.length, p.sampleReplicates, hashString(String(i), p.seed)).map((k) => list[k]!),
  );
  const table = new DistanceTable(sample);
  const sampled = bootstrapBand(table, table.groups, p.resamples, p.seed);
  const band = sampled && divergence !== null ? { low: Math.min(divergence, sampled.low), high: Math.max(divergence, sampled.high) } : null;
  return {
    divergence,
    band,
    withinRegion: sums.withinRegion(),
    labelAgreement: between ? agreeing / between : null,
    textSimilarity: between ? simSum / between : null,
    regionPairs,
    sampling: {
      replicatesPerRegion: p.sampleReplicates,
      responses: responses.reduce((n, l) => n + l.length, 0),
      sampled: sample.reduce((n, l) => n + l.length, 0),
      note: `divergence, agreement, similarity and within-region distance are exact over every response; the band is a bootstrap over a seeded sample of at most ${p.sampleReplicates} responses per region`,
    },
  };
}

/** "refused in asia-pacific; partial in eu-west; answered in us-east" (majority labels; "no response" for regions without one). */
function patternOf(regions: RegionPattern[]): string {
  const by = new Map<string, string[]>();
  for (const r of regions) {
    const label =
      r.majority === null
        ? 'no response'
        : r.counts.responses > 1 && r.counts[r.majority] < r.counts.responses
          ? `${r.majority} ${r.counts[r.majority]}/${r.counts.responses}`
          : r.majority;
    by.set(label, [...(by.get(label) ?? []), r.region]);
  }
  return [...by].map(([label, rs]) => `${label} in ${rs.join(', ')}`).join('; ');
}

function floorOf(pairs: PairAnalysis[], models: string[], controlQuestions: string[]): NoiseFloor {
  const upper = (p: PairAnalysis) => p.band?.high ?? p.divergence;
  const control = pairs.filter((p) => p.isControl && p.divergence !== null);
  const max = (list: PairAnalysis[]) => (list.length ? Math.max(...list.map((p) => upper(p)!)) : null);
  return {
    controlQuestions,
    overall: max(control),
    byModel: Object.fromEntries(models.map((m) => [m, max(control.filter((p) => p.modelId === m))])),
  };
}

function byDivergence(a: PairAnalysis, b: PairAnalysis): number {
  const d = (p: PairAnalysis) => (p.divergence === null ? -1 : p.divergence);
  return (
    d(b) - d(a) ||
    b.refusalSpread - a.refusalSpread ||
    a.questionId.localeCompare(b.questionId) ||
    a.modelId.localeCompare(b.modelId) ||
    (a.variant ?? '').localeCompare(b.variant ?? '')
  );
}

function highlights(a: JobAnalysis): string[] {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 100)} %`);
  const out: string[] = [];
  out.push(
    `${a.summary.responses} labelled responses from ${a.summary.cells} of ${a.summary.cellsExpected} cells` +
      ` (${a.questions.length} questions × ${a.models.length} models × ${a.regions.length} regions${a.variants ? ` × ${a.variants.length} variants` : ''}${a.repeats > 1 ? ` × ${a.repeats} replicates` : ''}); overall refusal rate ${pct(a.summary.refusal.rate)}.`,
  );
  const worst = [...a.refusalMatrix].filter((c) => c.refusal.rate !== null).sort((x, y) => y.refusal.rate! - x.refusal.rate!)[0];
  if (worst && worst.refusal.rate! > 0)
    out.push(
      `Highest refusal rate: ${worst.modelId} in ${worst.region}, ${pct(worst.refusal.rate)} (${worst.counts.refused}/${worst.counts.responses}).`,
    );
  const split = a.pairs.filter((p) => !p.isControl && p.refusalSpread > 0).sort((x, y) => y.refusalSpread - x.refusalSpread);
  const inVariant = (p: PairAnalysis) => (p.variant ? ` (${p.variant})` : '');
  for (const p of split.slice(0, 3)) out.push(`${p.modelId} on ${p.questionId}${inVariant(p)}: ${p.pattern}.`);
  const floor = a.noiseFloor.overall;
  if (floor === null) out.push('No control questions in this job: there is no noise floor to judge divergence against.');
  else
    out.push(
      `${a.summary.pairsAboveNoise} of ${a.pairs.filter((p) => !p.isControl && p.divergence !== null).length} (question, model) pairs diverge across regions beyond the control noise floor (highest control divergence ${floor.toFixed(3)}).`,
    );
  const top = a.pairs.find((p) => !p.isControl && p.divergence !== null);
  if (top)
    out.push(
      `Most divergent: ${top.modelId} on ${top.questionId}${inVariant(top)}, divergence ${top.divergence!.toFixed(3)}${top.band ? ` [${top.band.low.toFixed(3)}, ${top.band.high.toFixed(3)}]` : ''}.`,
    );
  const serious = a.dataQuality.filter((n) => n.severity !== 'info').length;
  if (serious) out.push(`${serious} data-quality note(s) at warning or above: read them before trusting the numbers.`);
  return out;
}

function withExtras(order: string[], seen: string[]): string[] {
  const out = [...new Set(order)];
  const known = new Set(out);
  for (const id of seen)
    if (!known.has(id)) {
      known.add(id);
      out.push(id);
    }
  return out;
}
