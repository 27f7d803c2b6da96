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
