import { diffWordsWithSpace } from 'diff';
import { canonicalJson } from '../json/canonical-json.js';
import type { DiffField, DiffFieldView, DiffSideView, DiffView, WordChange } from '../views/api-views.types.js';

/** The compared fields, in display order. */
export const DIFF_FIELDS: readonly DiffField[] = ['systemPrompt', 'userPrompt', 'parameters', 'response', 'classification'];

/** Word diffs that take longer than this fall back to "all removed, all added". */
const DIFF_TIMEOUT_MS = 500;

/**
 * Word-level changes from `a` to `b`: runs of equal, removed and added text, whitespace kept as its own tokens so that
 * equal + removed runs give back `a` exactly and equal + added runs give `b`.
 */
export function wordChanges(a: string, b: string): WordChange[] {
  if (a === b) return a === '' ? [] : [{ op: 'equal', text: a }];
  const changes = diffWordsWithSpace(a, b, { timeout: DIFF_TIMEOUT_MS });
  if (!changes) return [...(a ? [{ op: 'removed' as const, text: a }] : []), ...(b ? [{ op: 'added' as const, text: b }] : [])];
  return groupChanges(changes.map((c) => ({ op: c.added ? 'added' : c.removed ? 'removed' : 'equal', text: c.value })));
}

/**
 * Reads better: whitespace alone between two changes joins them, and each run of changes becomes one removed and one
 * added run (`[-do my best-]{+m sorry, but+}` rather than word-by-word alternation). Keeps the reconstruction property.
 */
function groupChanges(raw: WordChange[]): WordChange[] {
  const out: WordChange[] = [];
  let removed = '';
  let added = '';
  const flush = (): void => {
    if (removed) out.push({ op: 'removed', text: removed });
    if (added) out.push({ op: 'added', text: added });
    removed = '';
    added = '';
  };
  raw.forEach((c, i) => {
    const between = c.op === 'equal' && /^\s+$/.test(c.text) && (removed || added) && raw[i + 1] && raw[i + 1]!.op !== 'equal';
    if (c.op === 'equal' && !between) {
      flush();
      const last = out[out.length - 1];
      if (last?.op === 'equal') last.text += c.text;
      else out.push({ op: 'equal', text: c.text });
      return;
    }
    if (c.op !== 'added') removed += c.text;
    if (c.op !== 'removed') added += c.text;
  });
  flush();
  return out;
}

/** A field's text as compared: parameters as canonical JSON, absent values as the empty string. */
export function fieldText(side: DiffSideView, field: DiffField): string {
  if (field === 'parameters') return side.parameters === null || side.parameters === undefined ? '' : canonicalJson(side.parameters);
  return side[field] ?? '';
}

/** Compares two sides field by field. */
export function buildDiff(a: DiffSideView, b: DiffSideView): DiffView {
  const fields: DiffFieldView[] = DIFF_FIELDS.map((field) => {
    const ta = fieldText(a, field);
    const tb = fieldText(b, field);
    return { field, equal: ta === tb, a: ta, b: tb, changes: wordChanges(ta, tb) };
  });
  return { a, b, fields };
}
