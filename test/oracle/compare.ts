import type { ExpectedAnalysis } from './oracle.js';

/**
 * Float rounding, and the product's z: Beacon's Wilson bound uses z = 1.959964 (6 decimals), the oracle the exact 97.5 %
 * normal quantile, which moves a bound by up to ~3e-9. Every mutation that matters moves figures by far more.
 */
export const EPS = 1e-7;

/**
 * `actual` with every number that is within {@link EPS} of the number at the same place in `expected` replaced by it,
 * so that `expect(close(actual, expected)).toEqual(expected)` compares with a tolerance and still prints a plain diff.
 */
export function close<T>(actual: T, expected: unknown): T {
  if (typeof actual === 'number' && typeof expected === 'number') {
    return (Math.abs(actual - expected) <= EPS * Math.max(1, Math.abs(expected)) ? expected : actual) as T;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) return actual.map((a, i) => close(a, expected[i])) as T;
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const e = expected as Record<string, unknown>;
    return Object.fromEntries(Object.entries(actual).map(([k, v]) => [k, close(v, e[k])])) as T;
  }
  return actual;
}

/** The figures of `GET /api/v1/jobs/:id/analysis` that the oracle predicts, in its shape. */

export function projectAnalysis(a: any): ExpectedAnalysis {
  const refusalMatrix: ExpectedAnalysis['refusalMatrix'] = {};
  for (const c of a.refusalMatrix)
    refusalMatrix[`${c.region}|${c.modelId}`] = {
      refused: c.counts.refused,
      responses: c.counts.responses,
      noResponse: c.counts.noResponse,
      rate: c.refusal.rate,
      low: c.refusal.low,
      high: c.refusal.high,
    };
  const pairs: ExpectedAnalysis['pairs'] = {};
  for (const p of a.pairs) {
    const refused: Record<string, string> = {};
    for (const r of p.regions) refused[r.region] = `${r.refusal.count}/${r.refusal.of}`;
    pairs[`${p.questionId}|${p.modelId}`] = {
      refused,
      refusalSpread: p.refusalSpread,
      divergence: p.divergence,
      labelAgreement: p.labelAgreement,
    };
  }
  const cellNotes: Record<string, number> = {};
  for (const n of a.dataQuality) if (n.source === 'cells') cellNotes[n.ruleId] = n.evidence.count;
  return {
    summary: {
      cellsExpected: a.summary.cellsExpected,
      cells: a.summary.cells,
      responses: a.summary.responses,
      noResponse: a.summary.noResponse,
      refusal: { rate: a.summary.refusal.rate, low: a.summary.refusal.low, high: a.summary.refusal.high },
    },
    refusalMatrix,
    pairs,
    cellNotes,
  };
}
