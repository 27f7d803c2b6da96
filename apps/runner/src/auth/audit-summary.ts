import type { AuditEntry } from '@beacon/db';

/**
 * Refusals whose number the client decides (a flood of guessed tokens past the failed-authentication limit, or past
 * the bound on waiting token checks): written as one row per address, error code and interval, carrying how many
 * requests it stands for (`occurrences`), so a flood costs a few rows, not one per request.
 */
export const SUMMARISED_ERRORS: ReadonlySet<string> = new Set(['auth_rate_limited', 'auth_busy']);

/** How often the summaries are written. */
export const SUMMARY_INTERVAL_MS = 5_000;

/** Addresses summarised separately per interval; past it the rest share one row (address unknown). */
const MAX_ADDRESSES = 10_000;

/** Sums the summarised refusals until {@link drain} hands them over as rows. */
export class AuditSummaries {
  private readonly rows = new Map<string, AuditEntry>();

  /** True when `entry` was summarised (and must not be written on its own). */
  absorb(entry: AuditEntry): boolean {
    if (entry.occurrences !== undefined || entry.error === null || !SUMMARISED_ERRORS.has(entry.error)) return false;
    let key = `${entry.error}|${entry.remoteAddress ?? ''}`;
    if (!this.rows.has(key) && this.rows.size >= MAX_ADDRESSES) key = `${entry.error}|*`;
    const row = this.rows.get(key);
    if (row) row.occurrences = (row.occurrences ?? 1) + 1;
    else this.rows.set(key, { ...entry, remoteAddress: key.endsWith('|*') ? null : entry.remoteAddress, occurrences: 1 });
    return true;
  }

  /** The summary rows gathered since the last call. */
  drain(): AuditEntry[] {
    const out = [...this.rows.values()];
    this.rows.clear();
    return out;
  }
}
