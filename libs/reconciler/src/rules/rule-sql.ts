import { queryRows } from '@beacon/db';
import type { RuleContext } from '../reconciler.types.js';

/**
 * Runs a rule's SELECT with `$1` = the job-id filter (text[] or null) followed by `params`. `R` is the statement's
 * row interface: what the driver returns for each column (see `queryRows`): ids (bigint) and id arrays as text,
 * `::int` counts as numbers, timestamps as Dates.
 */
export async function ruleRows<R>(ctx: RuleContext, sql: string, params: unknown[] = []): Promise<R[]> {
  return queryRows<R>(ctx.ds, sql, [ctx.jobIds, ...params]);
}

/** SQL predicate: `col` is in the job filter `$1` (or there is none). */
export function inJobs(col: string): string {
  return `($1::text[] IS NULL OR ${col} = ANY($1::text[]))`;
}

/** Ids (a bigint[] column, null when aggregated over no row) cut to `limit`. */
export function ids(v: readonly string[] | null, limit: number): string[] {
  return v === null ? [] : v.slice(0, limit);
}

/** A timestamp as ISO text, or null. */
export function iso(v: Date | null): string | null {
  return v === null ? null : v.toISOString();
}

/** A bigint column (which the driver returns as text) as a number: exact for the durations and counts rules read. */
export function int8(v: string): number {
  return Number(v);
}

/** One cell's key, as the `missing_cells` and `out_of_spec` rules name cells in their evidence. */
export interface CellKey {
  questionId: string;
  modelId: string;
  region: string;
  /** `''` for the default variant. */
  variant: string;
  replicate: number;
}

/**
 * SQL: a FROM-clause subquery (for a LATERAL join) over `keys`, a SELECT of distinct cell keys in the columns
 * `(q, m, r, v, rep)` (v: the variant), giving `n` (how many, exact) and `cells` (the first `limit` of them in key order, as a jsonb array of
 * {@link CellKey}). `limit` is SQL, usually a parameter.
 */
export function boundedCells(keys: string, limit: string): string {
  return `SELECT count(*)::int AS n,
                 coalesce(jsonb_agg(jsonb_build_object('questionId', k.q, 'modelId', k.m, 'region', k.r, 'variant', k.v,
                                                       'replicate', k.rep) ORDER BY k.i)
                            FILTER (WHERE k.i <= ${limit}), '[]'::jsonb) AS cells
            FROM (SELECT x.q, x.m, x.r, x.v, x.rep, row_number() OVER (ORDER BY x.q, x.m, x.r, x.v, x.rep) AS i
                    FROM (${keys}) x(q, m, r, v, rep)) k`;
}

/**
 * A cell as the rules' summaries name it: `(region, model, question)`, with its variant when it is not the default and
 * the replicate when the spec repeats.
 */
export function cellLabel(c: CellKey, repeats: number): string {
  const variant = c.variant ? `, ${c.variant}` : '';
  return `(${c.region}, ${c.modelId}, ${c.questionId}${variant}${repeats > 1 || c.replicate > 0 ? `, replicate ${c.replicate}` : ''})`;
}

/** The first `few` cells' labels joined, and how many more there are of `count`. */
export function someCells(cells: readonly CellKey[], count: number, repeats: number, few = 5): string {
  const named = cells.slice(0, few).map((c) => cellLabel(c, repeats));
  return named.join(', ') + (count > named.length ? ` and ${count - named.length} more` : '');
}
