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
export function unifiedField(f: DiffFieldView, width: number, plain: boolean): DiffLine[] {
  const head = heading(f, width);
  if (f.equal) return [head, ...collapse(wrapSegments([{ text: f.a, tone: 'same' }], width))];
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
export function splitField(f: DiffFieldView, width: number, plain: boolean): DiffLine[] {
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
  const n = f.equal ? Math.min(SAME_LINES, left.length) : Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const l = left[i] ?? [];
    const used = l.reduce((n, s) => n + s.text.length, 0);
    rows.push([...l, { text: ' '.repeat(Math.max(0, half - used)) + ' │ ', tone: 'heading' }, ...(right[i] ?? [])]);
  }
  return rows;
}

/** Lines kept of a field that is the same on both sides: enough to recognise it. */
export const SAME_LINES = 2;

function collapse(lines: DiffSegment[][]): DiffSegment[][] {
  const lastKept = lines[SAME_LINES - 1];
  if (lines.length <= SAME_LINES || !lastKept) return lines;
  return [...lines.slice(0, SAME_LINES - 1), [...lastKept, { text: ' …', tone: 'same' }]];
}

function heading(f: DiffFieldView, width: number): DiffLine {
  const title = `── ${FIELD_TITLES[f.field]} ${f.equal ? '(same) ' : '(differs) '}`;
  return [{ text: title + '─'.repeat(Math.max(0, width - title.length)), tone: 'heading' }];
}

/** Every field's lines: differing fields first (in display order), then the equal ones, each cut to a few lines. */
export function diffLines(fields: readonly DiffFieldView[], width: number, unified: boolean, plain: boolean): DiffLine[] {
  const order = [...fields.filter((f) => !f.equal), ...fields.filter((f) => f.equal)];
  return order.flatMap((f) => (unified ? unifiedField(f, width, plain) : splitField(f, width, plain)));
}
