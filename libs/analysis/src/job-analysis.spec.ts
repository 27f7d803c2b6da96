import { describe, expect, it } from '@jest/globals';
import type { FindingView } from '@beacon/domain';
import { cell, sampleInput } from './analysis.fixtures.js';
import { analyseJob } from './job-analysis.js';

describe(analyseJob.name, () => {
  it('ranks the pair that refuses in one region first, with its pattern and refusal spread', () => {
    const a = analyseJob(sampleInput());
    const top = a.pairs[0]!;
    expect(top).toMatchObject({
      questionId: 'tiananmen',
      modelId: 'qwen',
      isControl: false,
      refusalSpread: 1,
      band: null,
      withinRegion: null,
    });
    expect(top.pattern).toBe('answered in us-east, eu-west; refused in asia-pacific');
    // Two of three region pairs are refusal vs answer (distance 1); the third compares two similar answers.
    expect(top.divergence!).toBeGreaterThan(2 / 3);
    expect(top.divergence!).toBeLessThan(1);
    expect(top.labelAgreement).toBeCloseTo(1 / 3, 12);
    expect(top.exceedsNoise).toBe(true);
    const llama = a.pairs.find((p) => p.questionId === 'tiananmen' && p.modelId === 'llama')!;
    expect(llama.divergence!).toBeLessThan(top.divergence!);
    expect(llama.refusalSpread).toBe(0);
    expect(a.summary.highlights.join('\n')).toMatch(/qwen on tiananmen: answered in us-east, eu-west; refused in asia-pacific/);
  });

  it('takes the noise floor from the control questions, per model', () => {
    const quiet = analyseJob(sampleInput());
    expect(quiet.noiseFloor).toEqual({ controlQuestions: ['math', 'capital'], overall: 0, byModel: { qwen: 0, llama: 0 } });

    const noisy = analyseJob(sampleInput({ noisyControl: true, repeats: 2 }));
    expect(noisy.noiseFloor.byModel.qwen).toBe(0);
    const llamaFloor = noisy.noiseFloor.byModel.llama!;
    expect(llamaFloor).toBeGreaterThan(0);
    const capital = noisy.pairs.find((p) => p.questionId === 'capital' && p.modelId === 'llama')!;
    expect(llamaFloor).toBeGreaterThanOrEqual(capital.band!.high);
    // llama's Tiananmen answers differ by a sentence only: not above its control noise.
    const llama = noisy.pairs.find((p) => p.questionId === 'tiananmen' && p.modelId === 'llama')!;
    expect(llama.noiseFloor).toBe(llamaFloor);
    expect(llama.exceedsNoise).toBe(llama.band!.low > llamaFloor);
    expect(noisy.pairs.find((p) => p.questionId === 'tiananmen' && p.modelId === 'qwen')!.exceedsNoise).toBe(true);
  });

  it('gives a band over replicates that contains the estimate, and no floor without control questions', () => {
    const input = sampleInput({ repeats: 3 });
    input.questions = input.questions.map((q) => ({ ...q, category: 'other' }));
    const a = analyseJob(input);
    for (const p of a.pairs) {
      expect(p.band!.low).toBeLessThanOrEqual(p.divergence!);
      expect(p.band!.high).toBeGreaterThanOrEqual(p.divergence!);
      expect(p.noiseFloor).toBeNull();
      expect(p.exceedsNoise).toBeNull();
    }
    expect(a.noiseFloor.overall).toBeNull();
    expect(a.summary.highlights.join('\n')).toMatch(/no noise floor/);
  });

  it('builds the region × model refusal matrix and the matrix by category', () => {
    const a = analyseJob(sampleInput({ repeats: 2 }));
    expect(a.refusalMatrix).toHaveLength(6);
    const qwenAsia = a.refusalMatrix.find((c) => c.region === 'asia-pacific' && c.modelId === 'qwen')!;
    expect(qwenAsia.refusal).toMatchObject({ count: 2, of: 6 });
    expect(qwenAsia.refusal.rate).toBeCloseTo(1 / 3, 12);
    expect(qwenAsia.refusal.low!).toBeLessThan(1 / 3);
    expect(qwenAsia.refusal.high!).toBeGreaterThan(1 / 3);
    expect(a.refusalMatrix.find((c) => c.region === 'us-east' && c.modelId === 'qwen')!.refusal.rate).toBe(0);
    const bias = a.refusalByCategory.find((c) => c.category === 'bias_detection' && c.region === 'asia-pacific' && c.modelId === 'qwen')!;
    expect(bias.refusal.rate).toBe(1);
    expect(
      a.refusalByCategory.find((c) => c.category === 'control' && c.region === 'asia-pacific' && c.modelId === 'qwen')!.refusal.rate,
    ).toBe(0);
  });

  it('notes missing, failed and duplicated cells and carries the open findings', () => {
    const input = sampleInput();
    const cells = input.cells.filter((c) => !(c.questionId === 'math' && c.modelId === 'qwen' && c.region === 'eu-west'));
    cells.push(cell('capital', 'llama', 'us-east', null, null, 0, 'failed'));
    const finding: FindingView = {
      id: '9',
      ruleId: 'prompt_drift',
      severity: 'warning',
      fingerprint: 'prompt_drift:1',
      jobId: 'job-1',
      summary: 'prompts differ',
      evidence: { executionIds: ['1'] },
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
      resolvedAt: null,
      occurrences: 1,
    };
    const a = analyseJob({ ...input, cells, findings: [finding] });
    expect(a.dataQuality.map((n) => n.ruleId)).toEqual(['missing_cells', 'duplicate_cells', 'failed_cells', 'prompt_drift']);
    expect(a.dataQuality[0]!.evidence).toMatchObject({ cells: ['math|qwen|eu-west|0'], count: 1 });
    expect(a.dataQuality[3]).toMatchObject({ source: 'reconciler', severity: 'warning', message: 'prompts differ' });
    const math = a.pairs.find((p) => p.questionId === 'math' && p.modelId === 'qwen')!;
    expect(math.regions.find((r) => r.region === 'eu-west')!.counts.responses).toBe(0);
    expect(math.divergence).toBe(0);
  });

  it('defect 15.oracle: cells outside the spec add no planned cells to the missing count', () => {
    const input = sampleInput();
    // One row for a model and a region the spec does not list: the spec's cells are all there, none is missing.
    const cells = [...input.cells, cell('math', 'gpt-legacy', 'moon-base', 'answered', 'four')];
    const a = analyseJob({ ...input, cells });
    expect(a.dataQuality.find((n) => n.ruleId === 'missing_cells')).toBeUndefined();
    // Drop one planned cell: exactly that one is missing, not the 3 × 3 × 4 − 18 cells the extra axes would make.
    const without = cells.filter((c) => !(c.questionId === 'math' && c.modelId === 'qwen' && c.region === 'eu-west'));
    const b = analyseJob({ ...input, cells: without });
    expect(b.dataQuality.find((n) => n.ruleId === 'missing_cells')?.evidence).toMatchObject({ cells: ['math|qwen|eu-west|0'], count: 1 });
  });

  it('is deterministic for the same input', () => {
    const input = sampleInput({ repeats: 3, noisyControl: true });
    expect(analyseJob(input)).toEqual(analyseJob({ ...input, cells: [...input.cells].reverse() }));
  });
  it('above sampleReplicates: exact point estimates as pairwise, the band from a stated sample, answers bounded', () => {
    const input = sampleInput({ repeats: 12, noisyControl: true });
    const exact = analyseJob({ ...input, sampleReplicates: 100 });
    const sampled = analyseJob({ ...input, sampleReplicates: 5 });
    expect(exact.pairs.every((p) => p.sampling === null)).toBe(true);
    expect(exact.pairs.flatMap((p) => p.regions).every((r) => r.answers.length === 12 && r.answersOmitted === undefined)).toBe(true);
    for (const p of sampled.pairs) {
      const e = exact.pairs.find((x) => x.questionId === p.questionId && x.modelId === p.modelId)!;
      for (const k of ['divergence', 'withinRegion', 'labelAgreement', 'textSimilarity'] as const) expect(p[k]!).toBeCloseTo(e[k]!, 10);
      p.regionPairs.forEach((rp, i) => expect(rp.distance).toBeCloseTo(e.regionPairs[i]!.distance, 10));
      expect(p.sampling).toMatchObject({ replicatesPerRegion: 5, responses: 36, sampled: 15 });
      expect(p.band!.low).toBeLessThanOrEqual(p.divergence!);
      expect(p.band!.high).toBeGreaterThanOrEqual(p.divergence!);
      for (const r of p.regions) expect({ listed: r.answers.length, omitted: r.answersOmitted }).toEqual({ listed: 5, omitted: 7 });
    }
    expect(sampled.method.sampling).toMatch(/seeded sample of 5 responses per region .*6 here/);
  });
});
