import type { DiffSideView, DiffView, WordChange } from '../views/api-views.types.js';

/** How {@link renderDiff} lays out and marks changes. */
export interface DiffRenderOptions {
  /** Terminal width; side by side needs at least {@link SIDE_BY_SIDE_MIN_WIDTH}. */
  width: number;
  /** Force one column (removed and added runs inline). */
  unified?: boolean;
  /** ANSI colours (red removed, green added); otherwise `[-removed-]` and `{+added+}`. */
  color?: boolean;
}

/** Narrower terminals get the unified layout. */
export const SIDE_BY_SIDE_MIN_WIDTH = 100;

interface Segment {
  text: string;
  op: WordChange['op'];
}

const RED = '\x1b[31m';
const GREEN = '\x1b[32m';
const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** Removes control characters (keeping newlines) so stored text cannot drive the terminal. */
function safe(text: string): string {
  return text
    .replace(/\t/g, '  ')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ' ');
}

/** One side's header line: ref, cell, attempt, start. */
export function describeSide(s: DiffSideView): string {
  const legacy = s.legacyId ? ` (legacy ${s.legacyId})` : '';
  const attempt = s.attempt !== null ? ` attempt ${s.attempt}` : '';
  return safe(
    `${s.ref}: execution ${s.executionId}${legacy}${attempt} · ${s.region} · ${s.modelId} · ${s.questionId}` +
      `${s.replicate ? ` #${s.replicate}` : ''}${s.startedAt ? ` · ${s.startedAt}` : ''}`,
  );
}

/** Breaks marked segments into lines of at most `width` visible characters (and at newlines). */
export function wrapSegments(segments: readonly Segment[], width: number, color: boolean): string[] {
  const lines: string[] = [];
  let line = '';
  let used = 0;
  const flush = (): void => {
    lines.push(line);
    line = '';
    used = 0;
  };
  for (const seg of segments) {
    const open = seg.op === 'equal' ? '' : color ? (seg.op === 'removed' ? RED : GREEN) : seg.op === 'removed' ? '[-' : '{+';
    const close = seg.op === 'equal' ? '' : color ? RESET : seg.op === 'removed' ? '-]' : '+}';
    const markWidth = color ? 0 : open.length + close.length;
    const parts = safe(seg.text).split('\n');
    parts.forEach((part, i) => {
      if (i > 0) flush();
      let rest = part;
      while (rest.length > 0) {
        const room = width - used - markWidth;
        if (room <= 0) {
          flush();
          continue;
        }
        let piece = rest.slice(0, room);
        if (piece.length < rest.length) {
          // Break after the last space that fits; a word that fits on a fresh line moves there whole.
          const space = piece.lastIndexOf(' ');
          if (space >= 0) piece = piece.slice(0, space + 1);
          else if (used > 0 && rest.search(/\s|$/) <= width - markWidth) {
            flush();
            continue;
          }
        }
        rest = rest.slice(piece.length);
        line += open + piece + close;
        used += piece.length + markWidth;
      }
    });
  }
  if (line !== '' || lines.length === 0) flush();
  return lines;
}

function visibleLength(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Renders a diff as text: a header per side, then each field (side by side when wide enough, else unified). */
export function renderDiff(d: DiffView, opts: DiffRenderOptions): string {
  const color = opts.color ?? false;
  const bold = (s: string): string => (color ? `${BOLD}${s}${RESET}` : s);
  const dim = (s: string): string => (color ? `${DIM}${s}${RESET}` : s);
  const sideBySide = !opts.unified && opts.width >= SIDE_BY_SIDE_MIN_WIDTH;
  const out: string[] = [`a  ${describeSide(d.a)}`, `b  ${describeSide(d.b)}`, ''];
  for (const f of d.fields) {
    out.push(bold(`${f.field}${f.equal ? ' (same)' : ''}`));
    if (f.equal) {
      out.push(...wrapSegments([{ text: f.a || '(empty)', op: 'equal' }], opts.width - 2, color).map((l) => `  ${dim(l)}`));
    } else if (sideBySide) {
      const col = Math.floor((opts.width - 3) / 2);
      const left = wrapSegments(
        f.changes.filter((c) => c.op !== 'added'),
        col,
        color,
      );
      const right = wrapSegments(
        f.changes.filter((c) => c.op !== 'removed'),
        col,
        color,
      );
      for (let i = 0; i < Math.max(left.length, right.length); i++) {
        const l = left[i] ?? '';
        out.push(`${l}${' '.repeat(Math.max(0, col - visibleLength(l)))} │ ${right[i] ?? ''}`.trimEnd());
      }
    } else {
      out.push(...wrapSegments(f.changes, opts.width - 2, color).map((l) => `  ${l}`));
    }
    out.push('');
  }
  const changed = d.fields.filter((f) => !f.equal).map((f) => f.field);
  out.push(changed.length ? `differs in ${changed.join(', ')}` : 'identical in every compared field');
  return out.join('\n') + '\n';
}
