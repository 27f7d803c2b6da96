/** A parsed `/` filter: `key=value` pairs and free words. */
export interface FilterQuery {
  readonly fields: Readonly<Record<string, string>>;
  readonly words: readonly string[];
}

/** Parses `region=us-east refused` into fields and words (keys lower-cased, words lower-cased). */
export function parseFilter(text: string): FilterQuery {
  const fields: Record<string, string> = {};
  const words: string[] = [];
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    if (eq > 0) fields[token.slice(0, eq).toLowerCase()] = token.slice(eq + 1);
    else words.push(token.toLowerCase());
  }
  return { fields, words };
}

/**
 * Whether a record passes a filter: every `key=value` must equal the record's field (a comma lists alternatives), and
 * every word must appear in one of the record's values.
 */
export function matchesFilter(q: FilterQuery, record: Readonly<Record<string, string | number | null | undefined>>): boolean {
  for (const [k, v] of Object.entries(q.fields)) {
    const actual = record[k];
    if (actual == null || !v.split(',').includes(String(actual))) return false;
  }
  if (q.words.length === 0) return true;
  const hay = Object.values(record)
    .filter((v) => v != null)
    .join(' ')
    .toLowerCase();
  return q.words.every((w) => hay.includes(w));
}

/** Whether the filter is empty. */
export const isEmptyFilter = (q: FilterQuery): boolean => q.words.length === 0 && Object.keys(q.fields).length === 0;
