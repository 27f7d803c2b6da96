import { endsBeforeStartMs, type TimelineAttemptView, type TimelineLaneView } from '@beacon/domain';
import type { DiffPair } from '../state/app.reducer.js';
import { consecutivePairs, MARK_GLYPHS } from './timeline-layout.js';
import { formatDuration } from './time-format.js';

/** `e955`, or `l953` for a row imported from the Go runner (its own id, as its findings cite it). */
export const laneId = (l: TimelineLaneView): string => (l.legacyId ? `l${l.legacyId}` : `e${l.executionId}`);

/** `e955 us-east qwen2.5-1.5b q:capital` — the lane's id and cell key. */
export function laneLabel(l: TimelineLaneView): string {
  return `${laneId(l)} ${l.region} ${l.modelId} ${l.questionId}${l.variant ? ` [${l.variant}]` : ''}${l.replicate > 0 ? ` #${l.replicate}` : ''}`;
}

/** One line per attempt: number, runner, outcome, HTTP status, latency, tokens, trace id, impossible times, error. */
export function attemptLine(a: TimelineAttemptView): string {
  const backwards = endsBeforeStartMs(a);
  const parts = [
    `#${a.attempt}`,
    a.runnerId,
    a.endedAt === null ? 'in flight' : (a.outcome ?? '?'),
    a.httpStatus === null ? 'HTTP —' : `HTTP ${a.httpStatus}`,
    a.latencyMs === null ? 'latency —' : formatDuration(a.latencyMs),
    `tokens ${a.inputTokens ?? '—'}/${a.outputTokens ?? '—'}`,
    `trace ${a.traceId}`,
  ];
  if (backwards !== null) parts.push(`ends ${formatDuration(backwards)} before it starts`);
  if (a.error) parts.push(`error: ${a.error}`);
  return parts.join(' · ');
}

/** The lane's state, label and marks in words. */
export function laneSummary(l: TimelineLaneView): string {
  const marks = MARK_GLYPHS.filter(([m]) => l.marks.includes(m)).map(([m]) =>
    m === 'duplicate' && l.duplicateOf.length > 0 ? `duplicate of ${l.duplicateOf.map((id) => `e${id}`).join(', ')}` : m.replace(/_/g, ' '),
  );
  const gap = l.gapMs ? [`started ${formatDuration(l.gapMs)} after the first copy`] : [];
  return [laneLabel(l), l.state, l.classification ?? 'no label', ...marks, ...gap].join(' · ');
}

/**
 * The natural comparisons from a lane: its own attempts one after another, its duplicates, and the same question and
 * model (and replicate) in the other regions among `lanes`.
 */
export function naturalPairs(l: TimelineLaneView, lanes: readonly TimelineLaneView[]): DiffPair[] {
  const pairs: DiffPair[] = [];
  for (const [x, y] of consecutivePairs(l.attempts)) {
    pairs.push({
      a: `a:${x.id}`,
      b: `a:${y.id}`,
      label: `${laneId(l)} attempt ${x.attempt} → attempt ${y.attempt} (${y.outcome ?? 'in flight'})`,
    });
  }
  const byId = new Map(lanes.map((o) => [o.executionId, o]));
  const firstStart = (x: TimelineLaneView) => (x.attempts[0] ? Date.parse(x.attempts[0].startedAt) : Infinity);
  for (const d of l.duplicateOf) {
    const other = byId.get(d);
    if (!other) {
      pairs.push({ a: `e:${d}`, b: `e:${l.executionId}`, label: `duplicate e${d} → ${laneId(l)} (same cell, ${l.region})` });
      continue;
    }
    // Earlier copy first, so the diff reads in the order things happened.
    const [x, y] = firstStart(other) <= firstStart(l) ? [other, l] : [l, other];
    pairs.push({
      a: `e:${x.executionId}`,
      b: `e:${y.executionId}`,
      label: `duplicate ${laneId(x)} → ${laneId(y)} (same cell, ${l.region}, ${x.classification ?? x.state} → ${y.classification ?? y.state})`,
    });
  }
  for (const o of lanes) {
    // The same cell in another region: the same variant too (another language or prompt is another question).
    if (
      o.executionId === l.executionId ||
      o.questionId !== l.questionId ||
      o.modelId !== l.modelId ||
      (o.variant ?? '') !== (l.variant ?? '') ||
      o.replicate !== l.replicate
    )
      continue;
    if (o.region === l.region) continue;
    pairs.push({
      a: `e:${l.executionId}`,
      b: `e:${o.executionId}`,
      label: `${l.region} → ${o.region} (${laneId(l)} → ${laneId(o)}, ${l.classification ?? l.state} → ${o.classification ?? o.state})`,
    });
  }
  return pairs;
}

/** Width of the lane's label column on the timeline. */
export const LANE_LABEL_WIDTH = 10;

/** `42s`, `3m05s`, `2h07m`: an age short enough for the lane's label column. */
export function shortAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * What the lane's label column says: `run 42s` while its last attempt is in flight (its age), else the classifier's
 * label (`answered`, `refused`, `filtered`…); a cell without one says its state, and one that never made a call says
 * `planned` while it waits or `never run` once it is over (cancelled, or failed before any attempt).
 */
export function laneStatus(l: TimelineLaneView, now: number): string {
  const last = l.attempts.at(-1);
  if (last && last.endedAt === null) return `run ${shortAge(now - Date.parse(last.startedAt))}`;
  if (l.classification) return l.classification;
  if (l.attempts.length === 0) return l.state === 'pending' || l.state === 'running' ? 'planned' : 'never run';
  return l.state;
}
