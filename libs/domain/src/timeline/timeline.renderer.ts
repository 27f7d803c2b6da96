import type { TimelineAttemptView, TimelineLaneView, TimelineMark, TimelineView } from '../views/api-views.types.js';
import { endsBeforeStartMs } from './timeline.builder.js';

/** How an attempt is drawn, by outcome (null: still running). */
export const OUTCOME_GLYPHS: Record<string, string> = {
  succeeded: '█',
  retryable_error: 'r',
  final_error: 'x',
  lease_expired: 'L',
  cancelled: 'c',
  fenced: 'F',
  released: '.',
  deferred: '.',
  running: '>',
};

/** How an attempt that ends before it starts is drawn, from its end to its start, whatever its outcome. */
export const BACKWARDS_GLYPH = '<';

/** One letter per mark, for the MARKS column. */
export const MARK_LETTERS: Record<TimelineMark, string> = {
  duplicate: 'D',
  out_of_spec: 'O',
  prompt_drift: 'P',
  lease_expired: 'L',
  retried: 'R',
  superseded: 'S',
  imported: 'I',
  impossible_times: 'T',
};

/** Options of {@link renderTimeline}. */
export interface TimelineRenderOptions {
  /** Total line width (the axis gets what the labels leave). */
  width: number;
}

/** `3 min 23 s`, `41 s`, `850 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function safe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** Draws a lane's attempts on an axis of `width` columns from `from` to `to` (ms). */
export function laneBar(attempts: readonly TimelineAttemptView[], from: number, to: number, width: number): string {
  const cells = Array.from({ length: width }, () => ' ');
  const span = Math.max(1, to - from);
  const col = (t: number): number => Math.min(width - 1, Math.max(0, Math.floor(((t - from) / span) * width)));
  for (const a of attempts) {
    const start = Date.parse(a.startedAt);
    const end = a.endedAt ? Date.parse(a.endedAt) : to;
    if (end < start) {
      for (let c = col(end); c <= col(start); c++) cells[c] = BACKWARDS_GLYPH;
      continue;
    }
    const glyph = OUTCOME_GLYPHS[a.outcome ?? 'running'] ?? '?';
    for (let c = col(start); c <= col(end); c++) cells[c] = glyph;
  }
  return cells.join('');
}

function laneNotes(lane: TimelineLaneView, byId: Map<string, TimelineLaneView>): string {
  const notes: string[] = [];
  if (lane.duplicateOf.length) {
    const names = lane.duplicateOf.map((id) => {
      const other = byId.get(id);
      return other?.legacyId ? `${id} (${other.legacyId})` : id;
    });
    notes.push(`duplicate of ${names.join(', ')}${lane.gapMs ? ` +${formatDuration(lane.gapMs)}` : ''}`);
  }
  const retries = lane.attempts.slice(1);
  if (retries.length) notes.push(`${lane.attempts.length} attempts`);
  for (const a of lane.attempts) {
    const backwards = endsBeforeStartMs(a);
    if (backwards !== null) notes.push(`attempt ${a.attempt} ends ${formatDuration(backwards)} before it starts`);
  }
  const last = lane.attempts[lane.attempts.length - 1];
  if (last?.error) notes.push(last.error);
  return notes.join('; ');
}

/**
 * Renders a timeline as plain text: a header with the job's time span, one line per lane (labels, the attempts as
 * bars on the shared axis, mark letters, notes such as a duplicate's delay), and a legend.
 */
export function renderTimeline(t: TimelineView, opts: TimelineRenderOptions): string {
  const from = t.from ? Date.parse(t.from) : 0;
  const to = t.to ? Date.parse(t.to) : from;
  const label = (l: TimelineLaneView): string[] =>
    [
      l.region,
      l.modelId,
      l.replicate ? `${l.questionId}#${l.replicate}` : l.questionId,
      l.legacyId ? `${l.executionId} (${l.legacyId})` : l.executionId,
      l.classification ?? l.state,
    ].map(safe);
  const headers = ['REGION', 'MODEL', 'QUESTION', 'EXECUTION', 'LABEL'];
  const labels = t.lanes.map(label);
  const widths = headers.map((h, i) => Math.max(h.length, ...labels.map((r) => r[i]!.length)));
  const labelWidth = widths.reduce((a, w) => a + w + 2, 0);
  const axis = Math.max(10, Math.min(120, opts.width - labelWidth - 12));
  const pad = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const span = t.from && t.to ? `${t.from} → ${t.to} (${formatDuration(to - from)})` : 'no attempts yet';
  const out = [
    safe(`job ${t.job.id} · ${t.job.status} · ${t.totalLanes} lane${t.totalLanes === 1 ? '' : 's'} · ${span}`),
    '',
    `${pad(headers)}  ${'TIME'.padEnd(axis + 2)}  MARKS`,
  ];
  const byId = new Map(t.lanes.map((l) => [l.executionId, l]));
  t.lanes.forEach((lane, i) => {
    const marks = lane.marks.map((m) => MARK_LETTERS[m]).join('');
    const notes = safe(laneNotes(lane, byId));
    out.push(`${pad(labels[i]!)}  |${laneBar(lane.attempts, from, to, axis)}|  ${marks.padEnd(5)}${notes ? `  ${notes}` : ''}`.trimEnd());
  });
  if (t.lanes.length < t.totalLanes) out.push(`… ${t.totalLanes - t.lanes.length} more lane(s)`);
  out.push(
    '',
    `attempts: █ succeeded  r retryable error  x final error  L lease expired  c cancelled  F fenced  . released/deferred  > running  ${BACKWARDS_GLYPH} ends before it starts`,
    `marks: ${Object.entries(MARK_LETTERS)
      .map(([m, l]) => `${l} ${m.replace(/_/g, ' ')}`)
      .join('  ')}`,
  );
  return out.join('\n') + '\n';
}
