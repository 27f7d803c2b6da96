import type { RuleContext } from '../reconciler.types.js';

/** A row of a rule query, column by column. */
export type Row = Record<string, unknown>;

/** Runs a rule's SELECT with `$1` = the job-id filter (text[] or null) followed by `params`. */
export async function ruleRows(ctx: RuleContext, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await ctx.ds.query(sql, [ctx.jobIds, ...params])) as Row[];
}

/** SQL predicate: `col` is in the job filter `$1` (or there is none). */
export function inJobs(col: string): string {
  return `($1::text[] IS NULL OR ${col} = ANY($1::text[]))`;
}

/** Ids as strings, cut to `limit`. */
export function ids(v: unknown, limit: number): string[] {
  return Array.isArray(v) ? v.slice(0, limit).map(String) : [];
}

/** A timestamp as ISO text, or null. */
export function iso(v: unknown): string | null {
  return v instanceof Date ? v.toISOString() : v == null ? null : String(v);
}
