/**
 * The spec axes a series must agree on: the sets of question ids, models and regions of each run. Replicates may
 * differ between runs (rates are per response), the axes may not: a cell missing from one run would read as a change.
 */
export interface TrendAxes {
  /** Sorted, without duplicates. */
  questions: string[];
  models: string[];
  regions: string[];
  /** The spec's variants, sorted; left out for a spec without languages or prompt variants. */
  variants?: string[];
}

const AXES = ['questions', 'models', 'regions', 'variants'] as const;

/** How `b`'s axes differ from `a`'s, in words (`questions: missing q3; regions: extra eu-west`), or null when equal. */
export function axesDifference(a: TrendAxes, b: TrendAxes): string | null {
  const parts: string[] = [];
  for (const axis of AXES) {
    // A run without variants has the default one, ''.
    const [listA, listB] = [a[axis] ?? [''], b[axis] ?? ['']];
    const inA = new Set(listA);
    const inB = new Set(listB);
    const missing = listA.filter((x) => !inB.has(x)).map((x) => x || 'default');
    const extra = listB.filter((x) => !inA.has(x)).map((x) => x || 'default');
    const words = [missing.length ? `missing ${list(missing)}` : '', extra.length ? `extra ${list(extra)}` : ''].filter(Boolean);
    if (words.length) parts.push(`${axis}: ${words.join(', ')}`);
  }
  return parts.length ? parts.join('; ') : null;
}

/** At most five names, then how many more. */
function list(xs: string[]): string {
  return xs.length <= 5 ? xs.join(', ') : `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more`;
}
