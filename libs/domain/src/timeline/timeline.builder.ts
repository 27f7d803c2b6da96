import type { TimelineAttemptView, TimelineLaneView, TimelineMark } from '../views/api-views.types.js';

/** One lane as read from the database, with the facts its marks are computed from. */
export interface TimelineLaneRow extends Pick<
  TimelineLaneView,
  'executionId' | 'questionId' | 'modelId' | 'region' | 'variant' | 'replicate' | 'state' | 'classification' | 'duplicateOf'
> {
  imported: boolean;
  legacyId: string | null;
  /** Imported batch rows have no question of their own ((batch)); they are not out of spec for that. */
  batchQuestion: boolean;
  supersededBy: string | null;
  /** Prompt hashes of the duplicates' attempts. */
  duplicatePromptHashes: string[];
  /** Earliest first start among the duplicates (ISO), if any. */
  duplicatesFirstStart: string | null;
}

/** The axes of the job's spec, to tell out-of-spec work. */
export interface TimelineSpecAxes {
  questions: readonly string[];
  models: readonly string[];
  regions: readonly string[];
  repeats: number;
}

/** Marks in display order. */
export const TIMELINE_MARKS: readonly TimelineMark[] = [
  'duplicate',
  'out_of_spec',
  'prompt_drift',
  'lease_expired',
  'retried',
  'superseded',
  'impossible_times',
  'imported',
];

/**
 * How long before its start an attempt ends, in ms (null when it ends at or after its start, or has not ended). Only
 * imported history has such attempts (the schema refuses them for Beacon's own): they are kept as exported, and shown
 * as what they are, never drawn as if their times were fine.
 */
export function endsBeforeStartMs(a: Pick<TimelineAttemptView, 'startedAt' | 'endedAt'>): number | null {
  if (a.endedAt === null) return null;
  const backwards = Date.parse(a.startedAt) - Date.parse(a.endedAt);
  return backwards > 0 ? backwards : null;
}

/** Computes a lane's marks from its row and attempts. */
export function laneMarks(row: TimelineLaneRow, attempts: readonly TimelineAttemptView[], spec: TimelineSpecAxes | null): TimelineMark[] {
  const has = new Set<TimelineMark>();
  if (row.duplicateOf.length > 0) has.add('duplicate');
  if (
    spec &&
    (!spec.models.includes(row.modelId) ||
      !spec.regions.includes(row.region) ||
      row.replicate >= spec.repeats ||
      (!row.batchQuestion && !spec.questions.includes(row.questionId)))
  )
    has.add('out_of_spec');
  if (new Set([...attempts.map((a) => a.promptHash), ...row.duplicatePromptHashes]).size > 1) has.add('prompt_drift');
  if (attempts.some((a) => a.outcome === 'lease_expired')) has.add('lease_expired');
  if (attempts.length > 1) has.add('retried');
  if (row.supersededBy !== null) has.add('superseded');
  if (attempts.some((a) => endsBeforeStartMs(a) !== null)) has.add('impossible_times');
  if (row.imported) has.add('imported');
  return TIMELINE_MARKS.filter((m) => has.has(m));
}

/** Shapes one lane: its key, marks and, for a duplicate, how long after the first copy it started. */
export function timelineLane(row: TimelineLaneRow, attempts: TimelineAttemptView[], spec: TimelineSpecAxes | null): TimelineLaneView {
  const firstStart = attempts.length ? Math.min(...attempts.map((a) => Date.parse(a.startedAt))) : null;
  const dupStart = row.duplicatesFirstStart ? Date.parse(row.duplicatesFirstStart) : null;
  return {
    executionId: row.executionId,
    questionId: row.questionId,
    modelId: row.modelId,
    region: row.region,
    ...(row.variant ? { variant: row.variant } : {}),
    replicate: row.replicate,
    state: row.state,
    classification: row.classification,
    // The default variant keeps the key lanes always had.
    cellKey: `${row.questionId}|${row.modelId}|${row.region}${row.variant ? `|${row.variant}` : ''}|${row.replicate}`,
    duplicateOf: row.duplicateOf,
    marks: laneMarks(row, attempts, spec),
    attempts,
    legacyId: row.legacyId,
    gapMs: firstStart !== null && dupStart !== null && firstStart > dupStart ? firstStart - dupStart : null,
  };
}

/** The spec axes of a normalised spec (null when it does not have them, e.g. an unusual import). */
export function specAxes(spec: unknown): TimelineSpecAxes | null {
  const s = spec as { questions?: { id?: unknown }[]; models?: { id?: unknown }[]; regions?: { id?: unknown }[]; repeats?: unknown } | null;
  if (!s || !Array.isArray(s.questions) || !Array.isArray(s.models) || !Array.isArray(s.regions)) return null;
  const ids = (xs: { id?: unknown }[]): string[] => xs.map((x) => String(x?.id));
  return {
    questions: ids(s.questions),
    models: ids(s.models),
    regions: ids(s.regions),
    repeats: typeof s.repeats === 'number' ? s.repeats : 1,
  };
}

/** One line of an attempt's error (message or kind), cut to 200 characters. */
export function errorLine(error: unknown): string | null {
  if (error === null || error === undefined) return null;
  const e = error as { message?: unknown; kind?: unknown };
  const text =
    typeof e.message === 'string'
      ? e.message
      : typeof e.kind === 'string'
        ? e.kind
        : typeof error === 'string'
          ? error
          : JSON.stringify(error);
  const line = text.split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
