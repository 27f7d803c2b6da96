import type { Key } from 'ink';
import { ch, type KeyName } from './key-binding.js';

const ESC = '\u001B';

/** CSI and SS3 final bytes of the keys the TUI knows (xterm, rxvt and the Linux console send these). */
const FINAL_KEYS: Readonly<Record<string, KeyName>> = {
  A: 'up',
  B: 'down',
  C: 'right',
  D: 'left',
  H: 'home',
  F: 'end',
  Z: 'shiftTab',
};

/** `ESC [ n ~` keys by their number. */
const TILDE_KEYS: Readonly<Record<string, KeyName>> = {
  '1': 'home',
  '7': 'home',
  '4': 'end',
  '8': 'end',
  '3': 'backspace',
  '5': 'pageUp',
  '6': 'pageDown',
};

/** SGR mouse report `ESC [ < b ; x ; y M`: button codes 64 and 65 are the wheel (with shift/alt/ctrl bits 4/8/16). */
const SGR_MOUSE = /^\[<\d+;\d+;\d+[Mm]$/;

/** The wheel notch an SGR mouse press names (its parameters without the final byte); clicks and drags are no key here. */
function wheelKey(params: string): KeyName | null {
  const button = Number(params.slice(1).split(';')[0]);
  if (!Number.isInteger(button) || (button & 64) === 0 || (button & 128) !== 0) return null;
  const which = button & 3;
  return which === 0 ? 'wheelUp' : which === 1 ? 'wheelDown' : null;
}

/** One escape sequence at `i` (which holds ESC): the key it names (null when the TUI has no use for it) and its length. */
function escapeSequence(chunk: string, i: number): { key: KeyName | null; length: number } {
  const kind = chunk[i + 1];
  if (kind === undefined) return { key: 'escape', length: 1 };
  if (kind === ESC) return { key: 'escape', length: 1 };
  if (kind === 'O') {
    const final = chunk[i + 2];
    if (final === undefined) return { key: null, length: 2 };
    return { key: FINAL_KEYS[final] ?? null, length: 3 };
  }
  if (kind === '[') {
    // CSI: parameter and intermediate bytes (0x20–0x3f), then one final byte (0x40–0x7e). Legacy `ESC [ [ A` too.
    let j = i + 2;
    if (chunk[j] === '[') j++;
    while (j < chunk.length && chunk.charCodeAt(j) >= 0x20 && chunk.charCodeAt(j) <= 0x3f) j++;
    const final = chunk[j];
    if (final === undefined || chunk.charCodeAt(j) < 0x40 || chunk.charCodeAt(j) > 0x7e) return { key: null, length: j - i };
    const params = chunk.slice(i + 2, j);
    if (params.startsWith('<')) return { key: final === 'M' ? wheelKey(params) : null, length: j + 1 - i };
    if (final === '~') return { key: TILDE_KEYS[params.split(';')[0] ?? ''] ?? null, length: j + 1 - i };
    // A modifier (`ESC [ 1 ; 5 A`, ctrl-up) still moves; any other parameter (mouse reports, focus) is not a key here.
    const plainOrModified = params === '' || /^1;\d+$/.test(params);
    return { key: plainOrModified ? (FINAL_KEYS[final] ?? null) : null, length: j + 1 - i };
  }
  // ESC and a character: alt+character. Nothing here uses alt, and its character must not leak into a text field.
  const cp = chunk.codePointAt(i + 1) ?? 0;
  return { key: null, length: 1 + (cp > 0xffff ? 2 : 1) };
}

/**
 * Splits what the terminal sent in one read into keys, in order. A fast typist, a paste or `tmux send-keys` delivers
 * several keys in one chunk, and Ink hands such a chunk over as one string: each key in it must count. Control
 * characters become named keys (enter, tab, backspace, `ctrl:u`…) or are dropped, never text.
 */
export function tokenizeKeys(chunk: string): KeyName[] {
  const keys: KeyName[] = [];
  let i = 0;
  while (i < chunk.length) {
    const code = chunk.codePointAt(i) ?? 0;
    const width = code > 0xffff ? 2 : 1;
    if (code === 0x1b) {
      const { key, length } = escapeSequence(chunk, i);
      if (key) keys.push(key);
      i += length;
      continue;
    }
    i += width;
    if (code === 0x0d || code === 0x0a) keys.push('return');
    else if (code === 0x09) keys.push('tab');
    else if (code === 0x7f || code === 0x08) keys.push('backspace');
    else if (code === 0x20) keys.push('space');
    else if (code >= 0x01 && code <= 0x1a) keys.push(`ctrl:${String.fromCharCode(code + 0x60)}`);
    else if (isPrintable(code)) keys.push(ch(String.fromCodePoint(code)));
    // Anything else (NUL, the other C0 and C1 controls, lone surrogates) is not a key the TUI reads.
  }
  return keys;
}

/** Printable: not a C0/C1 control, DEL, a lone surrogate, or a formatting character that would corrupt a line. */
export function isPrintable(code: number): boolean {
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  if (code >= 0xd800 && code <= 0xdfff) return false;
  // Bidi overrides and isolates, zero-width marks and separators: invisible, and they reorder what follows on screen.
  if ((code >= 0x200b && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return false;
  return code !== 0xfeff;
}

/**
 * The keys of one Ink input event. Ink names a single key itself (an arrow, enter, ctrl+letter), but a chunk of several
 * keys arrives as one unparsed string (`jj`, `/retryable_error\r`, `\x7f\x7f`): that is split with `tokenizeKeys`.
 */
export function keysFromInk(input: string, key: Key): KeyName[] {
  if (key.upArrow) return ['up'];
  if (key.downArrow) return ['down'];
  if (key.leftArrow) return ['left'];
  if (key.rightArrow) return ['right'];
  if (key.pageUp) return ['pageUp'];
  if (key.pageDown) return ['pageDown'];
  if (key.home) return ['home'];
  if (key.end) return ['end'];
  if (key.return) return ['return'];
  if (key.tab) return [key.shift ? 'shiftTab' : 'tab'];
  if (key.backspace || key.delete) return ['backspace'];
  if (key.escape) return ['escape'];
  if (key.ctrl) return /^[a-z]$/.test(input) ? [`ctrl:${input}`] : [];
  // Ink hands a mouse report over as text with its ESC stripped (`[<64;10;5M`): read it as the report, never as the
  // characters `[`, `<`, `6`… that would switch screens or land in a prompt.
  if (SGR_MOUSE.test(input)) return tokenizeKeys(ESC + input);
  // Ink strips the ESC of alt+character and reports `meta`: not a key here (see `escapeSequence`).
  if (key.meta) return [];
  return tokenizeKeys(input);
}

/** Rows one wheel notch moves: three, as most terminals scroll their own scrollback. */
export const WHEEL_ROWS = 3;

/** The arrow keys a wheel notch stands for. */
export function wheelSteps(key: 'wheelUp' | 'wheelDown'): KeyName[] {
  return Array.from({ length: WHEEL_ROWS }, () => (key === 'wheelUp' ? 'up' : 'down'));
}
