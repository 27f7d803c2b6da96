/** One validation problem: a JSON path like `$.constraints.regions[1]` (for specs) or `regions.us-east.baseUrl` (for config) and a human message. */
export interface Problem {
  path: string;
  message: string;
}

type Segment = string | number;

function segments(path: string): Segment[] {
  const out: Segment[] = [];
  for (const match of path.matchAll(/\[(\d+)\]|[^.[\]]+/g)) {
    out.push(match[1] === undefined ? match[0] : Number(match[1]));
  }
  return out;
}

function compareSegments(a: Segment, b: Segment): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders paths segment by segment, array indices numerically (`[2]` before `[10]`). */
export function compareProblemPaths(a: string, b: string): number {
  const left = segments(a);
  const right = segments(b);
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const order = compareSegments(left[i]!, right[i]!);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

/** A copy of `problems` sorted by path; problems at the same path keep their order. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((x, y) => compareProblemPaths(x.path, y.path));
}
