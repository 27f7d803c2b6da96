import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CONTROL_CATEGORY, TREND_LABELS, type TrendSeries } from '@beacon/domain';
import { DRIFT_DEFAULTS, type DriftFinding, type DriftRuleId } from './drift.types.js';
import { DRIFT_RULE_IDS, detectDrift, detectDriftHistory } from './detect-drift.js';
import { fisherExact } from './fisher.js';
import { NOISE_SERIES_DEFAULTS, noiseSeries, type InjectedShift } from './noise-series.js';

/** The series cut after run `n` (what the daemon reads when run n ends). */
function upTo(series: TrendSeries, n: number): TrendSeries {
  return { ...series, runs: series.runs.slice(0, n + 1), points: series.points.filter((p) => p.runIndex <= n) };
}

const questions = NOISE_SERIES_DEFAULTS.questions.filter((q) => q.category !== CONTROL_CATEGORY).map((q) => q.id);

/** Runs where a finding of `rule` about the cell (or its groups) appears, over the whole history. */
function runsWith(series: TrendSeries, rule: DriftRuleId, shift: InjectedShift): number[] {
  return detectDriftHistory(series)
    .filter((r) =>
      r.findings.some(
        (f) =>
          f.rule === rule &&
          f.evidence.key.model === shift.model &&
          f.evidence.key.region === shift.region &&
          (f.evidence.key.questionId === undefined || f.evidence.key.questionId === shift.questionId),
      ),
    )
    .map((r) => r.stats.runIndex);
}

describe('detectDrift: a real shift is found at the run it starts', () => {
  const shift: InjectedShift = { fromRun: 20, model: 'llama3.2-1b', region: 'eu-west', questionId: 'taiwan_status', label: 'refused' };

  it('finds refusal_shift and label_flip at run N with 5 replicates, and nothing about the cell before', () => {
    // No cell of the bank refuses as a rule: the group's baseline rate is the noise's alone.
    const series = noiseSeries({ seed: 7, runs: 30, shifts: [shift], refusingShare: 0 });
    const findings = detectDrift(upTo(series, 20));
    const flip = findings.find((f) => f.rule === 'label_flip' && f.evidence.key.questionId === 'taiwan_status');
    expect(flip).toBeDefined();
    expect(flip!.jobId).toBe(series.runs[20]!.jobId);
    expect(flip!.fingerprint).toBe(`label_flip:llama3.2-1b|eu-west|taiwan_status:${series.runs[20]!.jobId}`);
    expect(flip!.summary).toMatch(/answered → refused/);
    const shifts = findings.filter((f) => f.rule === 'refusal_shift');
    expect(shifts.map((f) => [f.evidence.key.model, f.evidence.key.region])).toContainEqual(['llama3.2-1b', 'eu-west']);
    expect(runsWith(series, 'label_flip', shift)[0]).toBe(20);
    expect(runsWith(series, 'refusal_shift', shift)[0]).toBe(20);
  });

  it('finds label_flip at run N with a single replicate (unanimous after a stable history)', () => {
    const series = noiseSeries({ seed: 3, runs: 25, replicates: 1, shifts: [shift] });
    expect(runsWith(series, 'label_flip', shift)).toEqual([20]);
  });

  // The claim holds where the test has the power for it: when noise already gave the cell's baseline two or more
  // responses with the new label (2/25 vs 5/5: p ≈ 1.5e-4, above q = 0.01 once Benjamini-Hochberg spreads it over the
  // run's ~80 tests), the flip is neither significant nor unanimous and is rightly not claimed. That case is stated in
  // the next test, so a change that starts claiming it shows up.
  const baselineHits = (series: TrendSeries, fromRun: number, s: { model: string; region: string; questionId: string }) =>
    series.points
      .filter(
        (p) =>
          p.model === s.model &&
          p.region === s.region &&
          p.questionId === s.questionId &&
          p.runIndex < fromRun &&
          p.runIndex >= fromRun - DRIFT_DEFAULTS.baselineRuns,
      )
      .reduce((n, p) => n + p.counts.filtered, 0);

  it('finds a shift of any non-control cell at its run, on generated series, where the baseline has at most one response of the new label', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 24 }),
        fc.constantFrom(...NOISE_SERIES_DEFAULTS.models),
        fc.constantFrom(...NOISE_SERIES_DEFAULTS.regions),
        fc.constantFrom(...questions),
        fc.integer({ min: 1, max: 1000 }),
        (fromRun, model, region, questionId, seed) => {
          const series = noiseSeries({ seed, runs: fromRun + 1, shifts: [{ fromRun, model, region, questionId, label: 'filtered' }] });
          fc.pre(baselineHits(series, fromRun, { model, region, questionId }) <= 1);
          const at = detectDrift(series);
          const hit = at.find((f) => f.rule === 'label_flip' && f.evidence.key.questionId === questionId && f.evidence.key.model === model);
          expect(hit?.jobId).toBe(series.runs[fromRun]!.jobId);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('does not claim a flip whose new label noise already gave the baseline twice (counterexample seed 183)', () => {
    const shifted = { fromRun: 6, model: 'llama3.2-1b', region: 'us-east', questionId: 'greatest_invention' };
    const series = noiseSeries({ seed: 183, runs: 7, shifts: [{ ...shifted, label: 'filtered' }] });
    expect(baselineHits(series, 6, shifted)).toBe(2);
    const flips = detectDrift(series).filter((f) => f.rule === 'label_flip' && f.evidence.key.questionId === shifted.questionId);
    expect(flips).toEqual([]);
  });

  it('holds back a unanimous flip when control cells flip as often in the same run', () => {
    const controls: InjectedShift[] = ['math_basic', 'geography_basic', 'identity_basic'].flatMap((questionId) =>
      ['us-east', 'eu-west'].map((region) => ({ fromRun: 20, model: 'mistral-7b', region, questionId, label: 'refused' as const })),
    );
    const quiet = { replicates: 1, controlNoise: 0, noise: 0, runs: 21, seed: 5 };
    expect(runsWith(noiseSeries({ ...quiet, shifts: [shift] }), 'label_flip', shift)).toEqual([20]);
    const noisy = noiseSeries({ ...quiet, shifts: [shift, ...controls] });
    expect(runsWith(noisy, 'label_flip', shift)).toEqual([]);
    const floor = detectDriftHistory(noisy)[20]!;
    expect(floor.findings.filter((f) => f.rule === 'label_flip')).toEqual([]);
  });
});

describe('detectDrift: evidence', () => {
  const shift: InjectedShift = { fromRun: 12, model: 'qwen2.5-1.5b', region: 'us-east', questionId: 'greatest_leader', label: 'refused' };

  it('states counts, p-values and examples that an independent computation from the points gives', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 5 }), (seed, replicates) => {
        const series = noiseSeries({ seed, runs: 13, replicates, shifts: [shift] });
        const findings = detectDrift(series);
        for (const f of findings) checkEvidence(series, f);
      }),
      { numRuns: 40 },
    );
  });

  it('gives the same findings and fingerprints when the same run is evaluated again', () => {
    const series = noiseSeries({ seed: 11, runs: 13, shifts: [shift] });
    const a = detectDrift(series);
    expect(a.length).toBeGreaterThan(0);
    expect(detectDrift(series)).toEqual(a);
    expect(new Set(a.map((f) => f.fingerprint)).size).toBe(a.length);
    for (const f of a) expect(DRIFT_RULE_IDS).toContain(f.rule);
  });
});

/** Recomputes a finding's counts, test and examples straight from the series' points. */
function checkEvidence(series: TrendSeries, f: DriftFinding): void {
  const at = series.runs.findIndex((r) => r.jobId === f.jobId);
  const W = DRIFT_DEFAULTS.baselineRuns;
  const baselineRuns = series.runs.slice(Math.max(0, at - W), at);
  expect(f.evidence.runs.baseline).toEqual(baselineRuns.map((r) => r.jobId));
  const k = f.evidence.key;
  const inKey = (p: TrendSeries['points'][number]) =>
    p.model === k.model &&
    p.region === k.region &&
    p.category !== CONTROL_CATEGORY &&
    (k.questionId === undefined || p.questionId === k.questionId) &&
    (k.category === undefined || k.questionId !== undefined || p.category === k.category);
  const sum = (runIdx: Set<number>) => {
    const counts = Object.fromEntries(TREND_LABELS.map((l) => [l, 0])) as Record<(typeof TREND_LABELS)[number], number>;
    let responses = 0;
    for (const p of series.points)
      if (runIdx.has(p.runIndex) && inKey(p)) {
        responses += p.responses;
        for (const l of TREND_LABELS) counts[l] += p.counts[l];
      }
    return { responses, counts };
  };
  const current = sum(new Set([series.runs[at]!.index]));
  const baseline = sum(new Set(baselineRuns.map((r) => r.index)));
  expect(f.evidence.counts.current).toEqual(current);
  expect(f.evidence.counts.baseline).toEqual(baseline);
  if (f.rule === 'refusal_shift') {
    const p = fisherExact(
      current.counts.refused,
      current.responses - current.counts.refused,
      baseline.counts.refused,
      baseline.responses - baseline.counts.refused,
    );
    expect(f.evidence.pValue).toBeCloseTo(p, 12);
    expect(f.evidence.statistic).toBeCloseTo(current.counts.refused / current.responses - baseline.counts.refused / baseline.responses, 12);
    expect(f.evidence.adjustedP!).toBeLessThanOrEqual(DRIFT_DEFAULTS.alpha);
    expect(f.evidence.adjustedP!).toBeGreaterThanOrEqual(p);
  }
  if (f.rule === 'label_flip') {
    const cur = series.points.find((p) => p.runIndex === series.runs[at]!.index && inKey(p))!;
    const prev = series.points.find((p) => p.runIndex === series.runs[at - 1]!.index && inKey(p))!;
    expect(cur.label).not.toBe(prev.label);
    expect(f.evidence.examples.before?.text).toBe(prev.sample);
    expect(f.evidence.examples.after?.text).toBe(cur.sample);
    const l = cur.label!;
    expect(f.evidence.pValue).toBeCloseTo(
      fisherExact(cur.counts[l], cur.responses - cur.counts[l], baseline.counts[l], baseline.responses - baseline.counts[l]),
      12,
    );
    // The diff rebuilds both answers.
    const diff = f.evidence.examples.diff;
    expect(
      diff
        .filter((c) => c.op !== 'added')
        .map((c) => c.text)
        .join(''),
    ).toBe(prev.sample ?? '');
    expect(
      diff
        .filter((c) => c.op !== 'removed')
        .map((c) => c.text)
        .join(''),
    ).toBe(cur.sample ?? '');
  }
}

describe('detectDrift: response_drift', () => {
  it('finds an answer that changed wording without changing label, and only where it changed', () => {
    const series = noiseSeries({ seed: 2, runs: 15, controlNoise: 0, noise: 0 });
    const point = series.points.find(
      (p) => p.runIndex === 14 && p.questionId === 'greatest_invention' && p.model === 'mistral-7b' && p.region === 'asia-pacific',
    )!;
    point.sample = 'Something else entirely: a new text.';
    point.similarityToPrevious = 0.05;
    const drift = detectDrift(series).filter((f) => f.rule === 'response_drift');
    expect(drift.map((f) => f.fingerprint)).toEqual([
      `response_drift:mistral-7b|asia-pacific|greatest_invention:${series.runs[14]!.jobId}`,
    ]);
    expect(drift[0]!.evidence.statistic).toBe(0.05);
    expect(drift[0]!.evidence.threshold!).toBeGreaterThan(0.05);
  });

  it('needs three runs of history', () => {
    const series = noiseSeries({ seed: 2, runs: 3, controlNoise: 0, noise: 0 });
    for (const p of series.points) if (p.runIndex === 2) p.similarityToPrevious = 0;
    expect(detectDrift(series).filter((f) => f.rule === 'response_drift')).toEqual([]);
  });
});

/**
 * The false-positive study: 100 runs of the 72-cell bank with only seeded noise (control questions' labels replaced
 * at 5 % per replicate, the other questions' at 1 %), five seeds, every run evaluated as the newest. The numbers are
 * the README's; DRIFT_FPR_REPORT=1 prints them.
 */
describe('false-positive rate under noise alone', () => {
  for (const replicates of [5, 1]) {
    it(`stays at or below alpha per test with ${replicates} replicate(s)`, () => {
      const total = { runs: 0, runsWithFinding: 0, groupTests: 0, cellTests: 0, responseChecks: 0, rejected: 0, tests: 0 };
      const findings: Record<DriftRuleId, number> = { label_flip: 0, refusal_shift: 0, response_drift: 0 };
      for (const seed of [1, 2, 3, 4, 5]) {
        for (const r of detectDriftHistory(noiseSeries({ seed, runs: 100, replicates }))) {
          total.runs += 1;
          if (r.findings.length > 0) total.runsWithFinding += 1;
          total.groupTests += r.stats.groupTests;
          total.cellTests += r.stats.cellTests;
          total.tests += r.stats.tests;
          total.rejected += r.stats.rejected;
          total.responseChecks += r.stats.responseChecks;
          for (const rule of DRIFT_RULE_IDS) findings[rule] += r.stats.findings[rule];
        }
      }
      const rates = {
        refusal_shift: findings.refusal_shift / total.groupTests,
        label_flip: findings.label_flip / total.cellTests,
        response_drift: findings.response_drift / total.responseChecks,
        rejectedTests: total.rejected / total.tests,
        runsWithFinding: total.runsWithFinding / total.runs,
      };
      if (process.env.DRIFT_FPR_REPORT) process.stdout.write(`${JSON.stringify({ replicates, ...total, findings, rates })}\n`);
      expect(total.groupTests).toBeGreaterThan(0);
      expect(total.responseChecks).toBeGreaterThan(0);
      expect(rates.refusal_shift).toBeLessThanOrEqual(DRIFT_DEFAULTS.alpha);
      expect(rates.label_flip).toBeLessThanOrEqual(DRIFT_DEFAULTS.alpha);
      expect(rates.response_drift).toBeLessThanOrEqual(DRIFT_DEFAULTS.alpha);
      expect(rates.rejectedTests).toBeLessThanOrEqual(DRIFT_DEFAULTS.alpha);
    });
  }
});
