import type { AuditEntry } from '@beacon/db';

/**
 * Refusals whose number the client decides (a flood of guessed tokens past the failed-authentication limit, or past
 * the bound on waiting token checks): written as one row per address, error code and interval, carrying how many
 * requests it stands for (`occurrences`), so a flood costs a few rows, not one per request.
 */
export const SUMMARISED_ERRORS: ReadonlySet<string> = new Set(['auth_rate_limited', 'auth_busy']);

/**
 * Refusals made before any token is looked at, whose number the client decides just as well: an unknown Host, a
 * foreign Origin, a mutating request without a JSON content type or in another charset, a path that cannot be
 * decoded, a request the HTTP parser cannot read, a route that does not exist. Each costs the client address a point
 * of its failed-authentication allowance (`limits.failedAuthPerMinutePerAddress`, shared with guessed tokens): within
 * the allowance each is written on its own; past it, it is still answered as always but written as a summary
 * (see {@link SUMMARISED_ERRORS}), so a flood of them costs a few rows, not one per request. Only refusals of
 * requests nobody was authenticated for (`anonymous`) are counted: a 404 for a missing job asked by a token is not.
 * A request whose framing broke (`malformed_request`) is counted whoever it names: its headers were read, so it may
 * carry a principal (the local user of a daemon without tokens), but its number is the sender's choice all the same.
 */
export const CHARGED_REFUSALS: ReadonlySet<string> = new Set([
  'unknown_host',
  'foreign_origin',
  'invalid_content_type',
  'unsupported_charset',
  'invalid_parameter',
  'malformed_request',
  'not_found',
]);

/** True when `entry` is a refusal of {@link CHARGED_REFUSALS} that its client address must pay for. */
export function chargedRefusal(entry: AuditEntry): entry is AuditEntry & { remoteAddress: string } {
  return (
    entry.occurrences === undefined &&
    entry.remoteAddress !== null &&
    entry.error !== null &&
    CHARGED_REFUSALS.has(entry.error) &&
    (entry.principal === 'anonymous' || entry.error === 'malformed_request')
  );
}

/** How often the summaries are written. */
export const SUMMARY_INTERVAL_MS = 5_000;

/** Addresses summarised separately per interval; past it the rest share one row (address unknown). */
const MAX_ADDRESSES = 10_000;

/** Sums the summarised refusals until {@link drain} hands them over as rows. */
export class AuditSummaries {
  private readonly rows = new Map<string, AuditEntry>();

  /**
   * True when `entry` was summarised (and must not be written on its own): its error is one of
   * {@link SUMMARISED_ERRORS}, or it is a charged refusal from an address past its allowance (`pastAllowance`).
   */
  absorb(entry: AuditEntry, pastAllowance = false): boolean {
    if (entry.occurrences !== undefined || entry.error === null || !(pastAllowance || SUMMARISED_ERRORS.has(entry.error))) return false;
    // Per principal too: a row must not put one principal's requests under another's name.
    let key = `${entry.error}|${entry.principal}|${entry.remoteAddress ?? ''}`;
    const overflow = !this.rows.has(key) && this.rows.size >= MAX_ADDRESSES;
    if (overflow) key = `${entry.error}|${entry.principal}|*`;
    const row = this.rows.get(key);
    if (row) row.occurrences = (row.occurrences ?? 1) + 1;
    else this.rows.set(key, { ...entry, remoteAddress: overflow ? null : entry.remoteAddress, occurrences: 1 });
    return true;
  }

  /** The summary rows gathered since the last call. */
  drain(): AuditEntry[] {
    const out = [...this.rows.values()];
    this.rows.clear();
    return out;
  }
}
