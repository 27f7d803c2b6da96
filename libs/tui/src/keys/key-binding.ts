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
  /** A mouse wheel notch (SGR mouse reports, when the terminal sends them). */
  | 'wheelUp'
  | 'wheelDown'
  | `char:${string}`
  /** A control character, e.g. `ctrl:u` (only prompts use these). */
  | `ctrl:${string}`;

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

/** The command a key triggers in a table, if any. */
export function matchKey<C extends string>(table: KeyTable<C>, name: KeyName): C | undefined {
  for (const b of table) if (b.keys.includes(name)) return b.command;
  return undefined;
}

/** Commands the footer always shows, whatever the width: the way to help and the way out. */
const ALWAYS = new Set(['help', 'quit']);

/** The footer text for a table: `label hint` pairs that fit in `width` columns, primary bindings first, help and quit always. */
export function footerText(table: KeyTable, width: number): string {
  const kept = table.filter((b) => ALWAYS.has(b.command)).map((b) => `${b.label} ${b.hint}`);
  const rest = table.filter((b) => !ALWAYS.has(b.command));
  const primary = rest.filter((b) => !b.secondary);
  // A secondary binding whose key a primary label already shows (`k` in `j/k move`) would only repeat it.
  const shown = new Set(primary.flatMap((b) => b.label.split('/')));
  const secondary = rest.filter((b) => b.secondary && !b.label.split('/').every((k) => shown.has(k)));
  const items = [...primary, ...secondary].map((b) => `${b.label} ${b.hint}`);
  const tail = kept.join('  ');
  const room = tail ? width - tail.length - 2 : width;
  let out = '';
  for (const item of items) {
    const next = out ? `${out}  ${item}` : item;
    if (next.length > room) continue;
    out = next;
  }
  if (!tail) return out;
  return out ? `${out}  ${tail}` : tail.slice(0, width);
}
