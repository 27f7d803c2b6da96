/**
 * Fisher's exact test and the Benjamini–Hochberg adjustment: the tests of drift detection. Log-factorials come from a
 * table grown on demand, so a test over a table of n responses costs O(min(row, column)) additions and no big numbers.
 */

const logFactorials: number[] = [0];

/** ln(n!) for an integer n ≥ 0. */
export function logFactorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`logFactorial of ${n}`);
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[n]!;
}

/** ln C(n, k). */
function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * Two-sided Fisher's exact test of the 2×2 table [[a, b], [c, d]] (rows: the two samples; columns: with and without the
 * property). With the margins fixed, the top-left cell is hypergeometric; the p-value is the probability of every table
 * no more likely than the observed one (the rule of R's `fisher.test`, with the same relative tolerance of 1e-7 so
 * that tables of equal probability are not split by rounding). 1 when a margin is 0.
 */
export function fisherExact(a: number, b: number, c: number, d: number): number {
  for (const [name, v] of [
    ['a', a],
    ['b', b],
    ['c', c],
    ['d', d],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`fisherExact: ${name} must be a whole number ≥ 0, got ${v}`);
  }
  const row1 = a + b;
  const row2 = c + d;
  const col1 = a + c;
  const n = row1 + row2;
  if (row1 === 0 || row2 === 0 || col1 === 0 || col1 === n) return 1;
  const lo = Math.max(0, col1 - row2);
  const hi = Math.min(row1, col1);
  const logDenominator = logChoose(n, col1);
  const logP = (x: number) => logChoose(row1, x) + logChoose(row2, col1 - x) - logDenominator;
  const observed = logP(a);
  const bound = observed + Math.log1p(1e-7);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logP(x);
    if (lp <= bound) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/**
 * Benjamini–Hochberg adjusted p-values, in the order given: rejecting every test whose adjusted p is ≤ q keeps the
 * expected share of false discoveries among the rejections at q (for independent or positively dependent tests), and
 * the chance of any false rejection when every null hypothesis holds at q.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const { p, i } = order[rank - 1]!;
    running = Math.min(running, (p * m) / rank);
    adjusted[i] = running;
  }
  return adjusted;
}
