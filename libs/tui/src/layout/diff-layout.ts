import type { DiffField, DiffFieldView, WordChange } from '@beacon/domain';

/** How a run of diff text is drawn. */
export type DiffTone = 'equal' | 'added' | 'removed' | 'heading' | 'same';

/** A run of text with one tone. */
export interface DiffSegment {
  readonly text: string;
  readonly tone: DiffTone;
}

/** One screen line of a diff: a list of segments (side by side: left and right halves). */
export type DiffLine = readonly DiffSegment[];

export const FIELD_TITLES: Record<DiffField, string> = {
  systemPrompt: 'system prompt',
  userPrompt: 'user prompt',
  parameters: 'parameters',
  response: 'response',
  classification: 'classification',
};

/**
 * Word markers for terminals without colour (`NO_COLOR`): removed words as `[-…-]`, added as `{+…+}`, as `git diff
 * --word-diff` prints them, so the change is visible without colour.
 */
export function markChange(c: WordChange, plain: boolean): DiffSegment {
  if (!plain || c.op === 'equal') return { text: c.text, tone: c.op === 'equal' ? 'equal' : c.op };
  return { text: c.op === 'added' ? `{+${c.text}+}` : `[-${c.text}-]`, tone: c.op };
}

/** Word-wraps segments to `width` columns, keeping tones; newlines in the text start new lines. */
export function wrapSegments(segs: readonly DiffSegment[], width: number): DiffSegment[][] {
  const w = Math.max(1, width);
  let line: DiffSegment[] = [];
  const lines = [line];
  let col = 0;
  const push = (text: string, tone: DiffTone) => {
    const last = line.at(-1);
    if (last && last.tone === tone) line[line.length - 1] = { text: last.text + text, tone };
    else line.push({ text, tone });
    col += text.length;
  };
  const newline = () => {
    line = [];
    lines.push(line);
    col = 0;
  };
  for (const seg of segs) {
    const parts = seg.text.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) newline();
      for (const token of part.split(/(\s+)/).filter((t) => t !== '')) {
        let t = token;
        if (/^\s+$/.test(t)) {
          if (col === 0) continue;
          if (col + t.length > w) {
            newline();
            continue;
          }
          push(t, seg.tone);
          continue;
        }
        if (col + t.length > w && col > 0) newline();
        while (t.length > w - col) {
          const n = w - col;
          push(t.slice(0, n), seg.tone);
          t = t.slice(n);
          newline();
        }
        push(t, seg.tone);
      }
    });
  }
  return lines.map(trimEnd);
}

function trimEnd(line: DiffSegment[]): DiffSegment[] {
  const last = line[line.length - 1];
  if (!last || !/\s$/.test(last.text)) return line;
  const text = last.text.replace(/\s+$/, '');
  return text ? [...line.slice(0, -1), { ...last, text }] : trimEnd(line.slice(0, -1));
}

/** The lines of one field, unified: one stream with removed and added words in place. */
export function unifiedField(f: DiffFieldView, width: number, plain: boolean, expanded = false): DiffLine[] {
  const head = heading(f, width);
  if (f.equal) {
    const lines = wrapSegments([{ text: f.a, tone: 'same' }], width);
    return [head, ...(expanded ? lines : collapse(lines, width))];
  }
  const changes =
    f.changes.length > 0
      ? f.changes
      : ([
          { op: 'removed', text: f.a },
          { op: 'added', text: f.b },
        ] as WordChange[]);
  return [
    head,
    ...wrapSegments(
      changes.map((c) => markChange(c, plain)),
      width,
    ),
  ];
}

/** The lines of one field side by side: a's text (with removed words) left, b's (with added words) right. */
export function splitField(f: DiffFieldView, width: number, plain: boolean, expanded = false): DiffLine[] {
  const half = Math.max(1, Math.floor((width - 3) / 2));
  const changes = f.equal
    ? ([{ op: 'equal', text: f.a }] as WordChange[])
    : f.changes.length > 0
      ? f.changes
      : ([
          { op: 'removed', text: f.a },
          { op: 'added', text: f.b },
        ] as WordChange[]);
  const tone = (s: DiffSegment): DiffSegment => (f.equal ? { ...s, tone: 'same' } : s);
  const left = wrapSegments(
    changes.filter((c) => c.op !== 'added').map((c) => tone(markChange(c, plain))),
    half,
  );
  const right = wrapSegments(
    changes.filter((c) => c.op !== 'removed').map((c) => tone(markChange(c, plain))),
    half,
  );
  const rows: DiffLine[] = [heading(f, width)];
  const cut = f.equal && !expanded && left.length > SAME_LINES;
  const n = cut ? SAME_LINES : Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const l = left[i] ?? [];
    const used = l.reduce((n, s) => n + s.text.length, 0);
    rows.push([...l, { text: ' '.repeat(Math.max(0, half - used)) + ' │ ', tone: 'heading' }, ...(right[i] ?? [])]);
  }
  if (cut) rows.push(moreLines(left.length - SAME_LINES, width));
  return rows;
}

/** Lines kept of a field that is the same on both sides: enough to recognise it. */
export const SAME_LINES = 2;

/** The first lines of an equal field, then a line saying how many are hidden and how to see them. */
function collapse(lines: DiffSegment[][], width: number): DiffLine[] {
  if (lines.length <= SAME_LINES) return lines;
  return [...lines.slice(0, SAME_LINES), moreLines(lines.length - SAME_LINES, width)];
}

/** The mark of a cut field: a hidden line must never look like the end of the text. */
function moreLines(n: number, width: number): DiffLine {
  const text = `… ${n} more line${n === 1 ? '' : 's'}, the same on both sides (x shows them)`;
  return [{ text: text.length > width ? `… +${n} (x)`.slice(0, Math.max(1, width)) : text, tone: 'heading' }];
}

function heading(f: DiffFieldView, width: number): DiffLine {
  const title = `── ${FIELD_TITLES[f.field]} ${f.equal ? '(same) ' : '(differs) '}`;
  return [{ text: title + '─'.repeat(Math.max(0, width - title.length)), tone: 'heading' }];
}

/**
 * Every field's lines: differing fields first (in display order), then the equal ones, each cut to a few lines with a
 * mark saying what is hidden, or in full when `expanded`.
 */
export function diffLines(fields: readonly DiffFieldView[], width: number, unified: boolean, plain: boolean, expanded = false): DiffLine[] {
  const order = [...fields.filter((f) => !f.equal), ...fields.filter((f) => f.equal)];
  return order.flatMap((f) => (unified ? unifiedField(f, width, plain, expanded) : splitField(f, width, plain, expanded)));
}
