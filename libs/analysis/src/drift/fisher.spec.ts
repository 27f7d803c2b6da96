import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { benjaminiHochberg, fisherExact, logFactorial } from './fisher.js';

/** n choose k as an exact integer. */
function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** The two-sided p-value by enumerating every table with the same margins, with exact integer probabilities. */
function bruteForce(a: number, b: number, c: number, d: number): number {
  const row1 = a + b;
  const row2 = c + d;
  const col1 = a + c;
  const weight = (x: number) => choose(row1, x) * choose(row2, col1 - x);
  const total = choose(row1 + row2, col1);
  const observed = weight(a);
  let sum = 0n;
  for (let x = Math.max(0, col1 - row2); x <= Math.min(row1, col1); x++) if (weight(x) <= observed) sum += weight(x);
  return Number(sum) / Number(total);
}

describe('fisherExact', () => {
  it("matches R's fisher.test on known tables", () => {
    // R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value (the tea-tasting experiment)
    expect(fisherExact(3, 1, 1, 3)).toBeCloseTo(0.4857142857, 9);
    // R: fisher.test(matrix(c(1, 11, 9, 3), 2))$p.value
    expect(fisherExact(1, 9, 11, 3)).toBeCloseTo(0.002759456, 8);
    // A complete separation of 10 and 10: 2 / C(20, 10).
    expect(fisherExact(10, 0, 0, 10)).toBeCloseTo(2 / 184756, 12);
    // 5 of 5 refusals now against none of 25 before: 1 / C(30, 5), one-sided and two-sided alike.
    expect(fisherExact(5, 0, 0, 25)).toBeCloseTo(1 / 142506, 12);
    expect(fisherExact(0, 0, 3, 4)).toBe(1);
    expect(fisherExact(2, 3, 2, 3)).toBeCloseTo(1, 12);
  });

  it('equals the brute-force enumeration of every table with the same margins', () => {
    fc.assert(
      fc.property(fc.nat(12), fc.nat(12), fc.nat(12), fc.nat(12), (a, b, c, d) => {
        const expected = a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0 ? 1 : bruteForce(a, b, c, d);
        expect(fisherExact(a, b, c, d)).toBeCloseTo(expected, 9);
      }),
      { numRuns: 500 },
    );
  });

  it('is symmetric in rows and columns and a probability', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.nat(40), fc.nat(40), fc.nat(40), (a, b, c, d) => {
        const p = fisherExact(a, b, c, d);
        expect(p).toBeGreaterThan(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(fisherExact(c, d, a, b)).toBeCloseTo(p, 10);
        expect(fisherExact(a, c, b, d)).toBeCloseTo(p, 10);
      }),
    );
  });

  it('rejects counts that are not whole numbers, naming the cell', () => {
    expect(() => fisherExact(1.5, 0, 0, 1)).toThrow(/a must be a whole number/);
    expect(() => fisherExact(1, 0, -1, 1)).toThrow(/c must be a whole number/);
    expect(() => logFactorial(-1)).toThrow(RangeError);
  });

  it('has exact log-factorials', () => {
    expect(Math.exp(logFactorial(10))).toBeCloseTo(3628800, 3);
    expect(logFactorial(0)).toBe(0);
  });
});

describe('benjaminiHochberg', () => {
  it("matches R's p.adjust(method = 'BH')", () => {
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), 'BH') = 0.025 0.05 0.05 0.025 0.5
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5]);
    [0.025, 0.05, 0.05, 0.025, 0.5].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 12));
    expect(benjaminiHochberg([])).toEqual([]);
  });

  it('never lowers a p-value, keeps the order and is the step-up minimum', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }), (ps) => {
        const adj = benjaminiHochberg(ps);
        const m = ps.length;
        const sorted = [...ps].sort((x, y) => x - y);
        ps.forEach((p, i) => {
          expect(adj[i]).toBeGreaterThanOrEqual(p - 1e-15);
          expect(adj[i]).toBeLessThanOrEqual(1);
          // Independent computation: min over ranks j ≥ rank of p of m·p(j)/j.
          const rank = sorted.indexOf(p) + 1;
          let expected = 1;
          for (let j = rank; j <= m; j++) expected = Math.min(expected, (sorted[j - 1]! * m) / j);
          expect(adj[i]).toBeCloseTo(expected, 12);
        });
      }),
    );
  });
});
