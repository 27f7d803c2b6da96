import { jsonChildPath } from '../json/zod-issue.mapper.js';
import { MAX_QUESTION_TEXT } from '../json/common.schema.js';
import type { Problem } from '../problems/problem.js';
import { CONTROL_CHARS } from '../text/control-chars.js';

/** Keys whose values are prose (question text, prompts, descriptions): newlines and tabs are allowed there. */
export const FREE_TEXT_KEYS: ReadonlySet<string> = new Set(['text', 'prompt', 'description', 'message']);

/** Longest string accepted anywhere in a spec, and longest object key. */
export const MAX_SPEC_STRING = MAX_QUESTION_TEXT;
export const MAX_SPEC_KEY = 200;

// C0 and C1 controls and DEL; in prose, \t and \n are allowed.
const CONTROLS = CONTROL_CHARS;
const PROSE_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// Bidirectional overrides and isolates can make a stored id display as another one.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The text with what PostgreSQL's text and jsonb cannot hold (NUL, unpaired surrogates) replaced by U+FFFD; for data
 * taken as it comes (imports), where rejecting the row would lose the rest of it.
 */
export function storableText(text: string, count?: { replaced: number }): string {
  if (!count) return text.replace(UNSTORABLE, '\ufffd');
  return text.replace(UNSTORABLE, () => {
    count.replaced++;
    return '\ufffd';
  });
}

/**
 * The value with every string and object key, at any depth, made storable by {@link storableText}; everything else is
 * kept. `count.replaced` grows by the characters replaced. For data taken as it comes (imports, upstream answers).
 */
export function storableValue<T>(v: T, count?: { replaced: number }): T {
  if (typeof v === 'string') return storableText(v, count) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => storableValue(x, count)) as T;
  // fromEntries defines own properties, so a "__proto__" key stays a key.
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableText(k, count), storableValue(x, count)])) as T;
  }
  return v;
}

function codePoint(text: string, re: RegExp): string {
  const c = re.exec(text)![0].codePointAt(0)!;
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * What is wrong with one string of a spec, or null: control characters (in prose, `prose`, only newline and tab are
 * allowed), bidirectional overrides outside prose, unpaired surrogates. Question files apply the same rules per field.
 */
export function textProblem(text: string, prose: boolean): string | null {
  if (prose ? PROSE_CONTROLS.test(text) : CONTROLS.test(text)) {
    const at = codePoint(text, prose ? PROSE_CONTROLS : CONTROLS);
    return `must not contain control characters (found ${at}${prose ? '; only newline and tab are allowed in text' : ''})`;
  }
  if (!prose && BIDI.test(text)) return `must not contain bidirectional override characters (found ${codePoint(text, BIDI)})`;
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (found an unpaired surrogate)';
  return null;
}

/**
 * Checks every string and key of a received spec, at any depth, before anything reads it: no string longer than
 * {@link MAX_SPEC_STRING} characters, no key longer than {@link MAX_SPEC_KEY}, and no control characters, so that
 * nothing stored from a spec can move the cursor or recolour a terminal, forge a log line, or be refused by
 * PostgreSQL (which stores no NUL). Prose fields ({@link FREE_TEXT_KEYS}) may contain newlines and tabs.
 */
export function checkSpecText(raw: unknown, path = '$', key: string | null = null, problems: Problem[] = []): Problem[] {
  if (problems.length >= 50) return problems;
  if (typeof raw === 'string') {
    if (raw.length > MAX_SPEC_STRING) {
      problems.push({ path, message: `must be at most ${MAX_SPEC_STRING} characters (got ${raw.length})` });
      return problems;
    }
    const problem = textProblem(raw, key !== null && FREE_TEXT_KEYS.has(key));
    if (problem) problems.push({ path, message: problem });
  } else if (Array.isArray(raw)) {
    raw.forEach((item, i) => checkSpecText(item, jsonChildPath(path, i), key, problems));
  } else if (raw !== null && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) {
      const child = jsonChildPath(path, k.length > MAX_SPEC_KEY ? `${k.slice(0, 40)}…` : k);
      if (k.length > MAX_SPEC_KEY) problems.push({ path: child, message: `key must be at most ${MAX_SPEC_KEY} characters` });
      else {
        const problem = textProblem(k, false);
        if (problem) problems.push({ path: child, message: `key ${problem}` });
      }
      checkSpecText(v, child, k, problems);
    }
  }
  return problems;
}
