/**
 * C0 controls, DEL and C1 controls: never part of an id, a filter, a cursor or a path, and PostgreSQL text cannot hold
 * U+0000. The one definition the edge checks, the audit log and the cursors share.
 */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

const CONTROL_CHARS_ALL = new RegExp(CONTROL_CHARS.source, 'g');

/** True when `text` holds a control character (see {@link CONTROL_CHARS}). */
export function hasControlChars(text: string): boolean {
  return CONTROL_CHARS.test(text);
}

/**
 * `text` cut to `max` characters, each control character written as `\uXXXX`: fit to be stored (an audit row) or
 * shown (a problem path in an answer) without carrying the character itself.
 */
export function escapeControlChars(text: string, max = Infinity): string {
  return text.slice(0, max).replace(CONTROL_CHARS_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
