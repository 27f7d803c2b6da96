import type { AttemptOutcome, ExecutionState, JobStatus } from '../status/job-status.js';
import type { LiveEventKind, LiveEventView } from '../views/api-views.types.js';

/** A live event before the streaming daemon numbers it. */
export type LiveEventBody = Omit<LiveEventView, 'seq'>;

/**
 * The wire form of a live event, stated once: a `beacon_live` NOTIFY payload is a JSON array of events, each a JSON
 * array holding these fields at these positions. `kind` is a short code ({@link LIVE_KIND_CODES}), `at` epoch
 * milliseconds, the {@link LIVE_WIRE_COUNTS} numbers and every other field text (an id may travel as a JSON number, as
 * the findings trigger sends its bigint id, and reads as its decimal text); absent values are null, and trailing nulls
 * may be left off. Fields go by position, not by name, so that a busy daemon's batches stay small. The database
 * triggers of the live-events migration write these same positions in SQL (a migration cannot import this; an
 * integration test fires them and checks every event against this contract: live-triggers). New fields are only ever
 * appended.
 */
export const LIVE_WIRE_FIELDS = [
  'kind',
  'at',
  'jobId',
  'executionId',
  'attemptId',
  'region',
  'modelId',
  'questionId',
  'state',
  'outcome',
  'classification',
  'runnerId',
  'attempt',
  'latencyMs',
  'httpStatus',
  'ruleId',
  'severity',
  'findingId',
  'summary',
] as const;

/** One field of the wire form. */
export type LiveWireField = (typeof LIVE_WIRE_FIELDS)[number];

/** The fields that travel as numbers (the others after `at` are text). */
export const LIVE_WIRE_COUNTS = ['attempt', 'latencyMs', 'httpStatus'] as const satisfies readonly LiveWireField[];

/** The fields only finding events carry once decoded (other kinds never set them). */
const FINDING_ONLY: ReadonlySet<LiveWireField> = new Set(['findingId', 'summary'] satisfies LiveWireField[]);
const COUNTS: ReadonlySet<LiveWireField> = new Set(LIVE_WIRE_COUNTS);

/** The code of each kind on the wire. */
export const LIVE_KIND_CODES = {
  attempt_started: 'as',
  attempt_finished: 'af',
  execution_state: 'es',
  job_state: 'js',
  finding: 'f',
} as const satisfies Record<LiveEventKind, string>;

/** A Map, not an object: a code such as `toString` must not find an inherited key. */
const KIND_BY_CODE: ReadonlyMap<string, LiveEventKind> = new Map(
  (Object.entries(LIVE_KIND_CODES) as [LiveEventKind, string][]).map(([kind, code]) => [code, kind]),
);

/** One value at one position of the wire form. */
export type LiveWireValue = string | number | null;

/** Every wire field by name and type, as a publisher states it (`at` in epoch milliseconds). */
export type LiveWireRecord = { kind: LiveEventKind; at: number; jobId: string } & {
  [F in Exclude<LiveWireField, 'kind' | 'at' | 'jobId'>]: (F extends (typeof LIVE_WIRE_COUNTS)[number] ? number : string) | null;
};

/**
 * An event of kind `K` as a publisher states it: the fields `Given` set, the fields `Maybe` possibly absent or null,
 * and no other field (it is null on the wire).
 */
type EventOf<K extends LiveEventKind, Given extends keyof LiveWireRecord, Maybe extends keyof LiveWireRecord = never> = {
  kind: K;
  at: number;
  jobId: string;
} & { [F in Given]: NonNullable<LiveWireRecord[F]> } & { [F in Maybe]?: LiveWireRecord[F] };

type Cell = 'executionId' | 'region' | 'modelId' | 'questionId';

/** A provider call began (the engine): the cell is running on `runnerId`. */
export type AttemptStartedEvent = EventOf<'attempt_started', Cell | 'state' | 'runnerId' | 'attempt', 'attemptId'> & { state: 'running' };
/** A call ended (the engine), or the reaper took a cell back after a lost lease (no attempt row, runner unknown). */
export type AttemptFinishedEvent = EventOf<
  'attempt_finished',
  Cell | 'state' | 'outcome' | 'attempt',
  'attemptId' | 'classification' | 'runnerId' | 'latencyMs' | 'httpStatus'
> & { outcome: AttemptOutcome };
/** A cell's state changed outside a call. */
export type ExecutionStateEvent = EventOf<'execution_state', Cell | 'state', 'attemptId'> & { state: ExecutionState };
/** A job was created or its status changed (database trigger). */
export type JobStateEvent = EventOf<'job_state', 'state'> & { state: JobStatus };
/** A finding opened or resolved (database trigger); `jobId` is empty for findings about no job. */
export type FindingEvent = EventOf<'finding', 'state' | 'ruleId' | 'severity' | 'findingId' | 'summary'> & { state: 'open' | 'resolved' };

/** A live event as its publisher states it, one type per kind. */
export type LiveEvent = AttemptStartedEvent | AttemptFinishedEvent | ExecutionStateEvent | JobStateEvent | FindingEvent;

/** The positional wire form of one event (see {@link LIVE_WIRE_FIELDS}), trailing nulls left off. */
export function encodeLiveEvent(event: LiveEvent): LiveWireValue[] {
  const fields: Partial<Record<LiveWireField, unknown>> = event;
  const row: LiveWireValue[] = [LIVE_KIND_CODES[event.kind], event.at];
  for (let i = 2; i < LIVE_WIRE_FIELDS.length; i++) row.push((fields[LIVE_WIRE_FIELDS[i]!] ?? null) as LiveWireValue);
  let end = row.length;
  while (row[end - 1] === null) end--;
  row.length = end;
  return row;
}

/**
 * Decodes one `beacon_live` NOTIFY payload: a JSON array of events in the wire form of {@link LIVE_WIRE_FIELDS}
 * (trailing fields may be missing). Events of an unknown kind are skipped, so an older daemon ignores what a newer
 * schema adds; a field of the wrong type reads as null (an id sent as a number reads as its decimal text).
 */
export function decodeLivePayload(payload: string): LiveEventBody[] {
  const rows = JSON.parse(payload) as unknown;
  if (!Array.isArray(rows)) return [];
  const out: LiveEventBody[] = [];
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    const kind = KIND_BY_CODE.get(String(row[0]));
    if (kind === undefined) continue;
    const atMs = Number(row[1]);
    if (!Number.isFinite(atMs) || Math.abs(atMs) > 8.64e15) continue; // a bad time loses this event, not its batch
    const event: Record<string, LiveWireValue> = { kind, at: new Date(atMs).toISOString() };
    for (let i = 2; i < LIVE_WIRE_FIELDS.length; i++) {
      const name = LIVE_WIRE_FIELDS[i]!;
      if (FINDING_ONLY.has(name) && kind !== 'finding') continue;
      const v: unknown = row[i];
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a text field decodes any JSON value by String(), unchanged here
      event[name] = COUNTS.has(name) ? (typeof v === 'number' ? v : null) : v === null || v === undefined ? null : String(v);
    }
    event.jobId ??= '';
    // Every field of the view is set above: the view's fields are the wire's (a unit spec holds the two lists equal).
    out.push(event as unknown as LiveEventBody);
  }
  return out;
}
