import type { Key } from 'ink';

/** A named key: a printable character, or one of Ink's special keys. */
export type KeyName =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'return'
  | 'escape'
  | 'tab'
  | 'shiftTab'
  | 'space'
  | 'backspace'
  | `char:${string}`;

/** One binding: the keys that trigger a command, and how the footer and help name it. */
export interface KeyBinding<C extends string = string> {
  readonly command: C;
  readonly keys: readonly KeyName[];
  /** Short key text for the footer and help, e.g. `j/k`. */
  readonly label: string;
  /** One or two words for the footer, e.g. `move`. */
  readonly hint: string;
  /** A sentence for the `?` help. */
  readonly help: string;
  /** Left out of the footer when it is short of room (still in the help). @default false */
  readonly secondary?: boolean;
}

/** Every binding of one screen (or of the whole app). */
export type KeyTable<C extends string = string> = readonly KeyBinding<C>[];

/** Builds a `char:` key name. */
export const ch = (c: string): KeyName => `char:${c}`;

/** The names of the key Ink reported (one press may match a special name and a character). */
export function keyNames(input: string, key: Key): KeyName[] {
  const names: KeyName[] = [];
  if (key.upArrow) names.push('up');
  if (key.downArrow) names.push('down');
  if (key.leftArrow) names.push('left');
  if (key.rightArrow) names.push('right');
  if (key.pageUp) names.push('pageUp');
  if (key.pageDown) names.push('pageDown');
  if (key.home) names.push('home');
  if (key.end) names.push('end');
  if (key.return) names.push('return');
  if (key.escape) names.push('escape');
  if (key.tab) names.push(key.shift ? 'shiftTab' : 'tab');
  if (key.backspace || key.delete) names.push('backspace');
  if (input === ' ') names.push('space');
  else if (input && !key.ctrl && !key.meta && input.length === 1) names.push(ch(input));
  return names;
}

/** The command a key press triggers in a table, if any. */
export function matchKey<C extends string>(table: KeyTable<C>, input: string, key: Key): C | undefined {
  const names = keyNames(input, key);
  for (const b of table) if (b.keys.some((k) => names.includes(k))) return b.command;
  return undefined;
}

/** The footer text for a table: `label hint` pairs that fit in `width` columns, primary bindings first. */
export function footerText(table: KeyTable, width: number): string {
  const primary = table.filter((b) => !b.secondary);
  // A secondary binding whose key a primary label already shows (`k` in `j/k move`) would only repeat it.
  const shown = new Set(primary.flatMap((b) => b.label.split('/')));
  const secondary = table.filter((b) => b.secondary && !b.label.split('/').every((k) => shown.has(k)));
  const items = [...primary, ...secondary].map((b) => `${b.label} ${b.hint}`);
  let out = '';
  for (const item of items) {
    const next = out ? `${out}  ${item}` : item;
    if (next.length > width) continue;
    out = next;
  }
  return out;
}
