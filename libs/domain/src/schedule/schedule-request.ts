import type { BeaconConfig } from '../config/config.types.js';
import type { NormalisedJobSpec } from '../job-spec/job-spec.types.js';
import { normaliseJobSpec } from '../job-spec/job-spec.normaliser.js';
import type { Problem } from '../problems/problem.js';
import { sortProblems } from '../problems/problem.js';
import { type Cadence, parseEvery, tickSource } from './cadence.js';
import {
  DEFAULT_CATCH_UP,
  MAX_CATCH_UP,
  OVERLAP_POLICIES,
  type OverlapPolicy,
  SCHEDULE_NAME_PATTERN,
  isOverlapPolicy,
} from './schedule.types.js';

/** Most runs or days a retention setting may name. */
export const MAX_KEEP = 1_000_000;

/** A schedule to create, checked: its job spec normalised (its jobs are planned from exactly this). */
export interface ScheduleInput {
  name: string;
  cadence: Cadence;
  spec: NormalisedJobSpec;
  /** The spec as received (canonical JSON text) and its hash, stored on every run's job. */
  specReceived: string;
  specHash: string;
  overlap: OverlapPolicy;
  catchUp: number;
  keepRuns: number | null;
  keepDays: number | null;
}

/** Settings a schedule's update may change: each absent one is left as it is, null clears a retention limit. */
export interface ScheduleUpdate {
  overlap?: OverlapPolicy;
  catchUp?: number;
  keepRuns?: number | null;
  keepDays?: number | null;
}

type Read<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

const CREATE_FIELDS = ['name', 'spec', 'every', 'cron', 'overlap', 'catchUp', 'keepRuns', 'keepDays'];
const UPDATE_FIELDS = ['overlap', 'catchUp', 'keepRuns', 'keepDays'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownFields(raw: Record<string, unknown>, known: string[], problems: Problem[]): void {
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) problems.push({ path: `$.${k}`, message: `unknown field; a schedule takes ${known.join(', ')}` });
  }
}

/** An integer field in [min, max], null allowed when `nullable`; undefined when absent. */
function intField(raw: Record<string, unknown>, key: string, min: number, max: number, nullable: boolean, problems: Problem[]) {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (v === null && nullable) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    problems.push({ path: `$.${key}`, message: `must be an integer from ${min} to ${max}${nullable ? ', or null for none' : ''}` });
    return undefined;
  }
  return v;
}

function settings(raw: Record<string, unknown>, problems: Problem[]): ScheduleUpdate {
  const out: ScheduleUpdate = {};
  if (raw.overlap !== undefined) {
    if (isOverlapPolicy(raw.overlap)) out.overlap = raw.overlap;
    else problems.push({ path: '$.overlap', message: `must be one of ${OVERLAP_POLICIES.join(', ')}` });
  }
  const catchUp = intField(raw, 'catchUp', 0, MAX_CATCH_UP, false, problems);
  if (catchUp !== undefined && catchUp !== null) out.catchUp = catchUp;
  const keepRuns = intField(raw, 'keepRuns', 1, MAX_KEEP, true, problems);
  if (keepRuns !== undefined) out.keepRuns = keepRuns;
  const keepDays = intField(raw, 'keepDays', 1, MAX_KEEP, true, problems);
  if (keepDays !== undefined) out.keepDays = keepDays;
  return out;
}

/**
 * Reads a request to create a schedule: `{ name, spec, every | cron, overlap?, catchUp?, keepRuns?, keepDays? }`.
 * Every problem is returned with its path; the spec's own are under `$.spec`. The spec may not carry an `id`: each run
 * is the job `<name>-<run>`.
 */
export function readScheduleRequest(raw: unknown, config: BeaconConfig): Read<ScheduleInput> {
  if (!isObject(raw)) return { ok: false, problems: [{ path: '$', message: 'a schedule must be a JSON object' }] };
  const problems: Problem[] = [];
  unknownFields(raw, CREATE_FIELDS, problems);
  const name = raw.name;
  if (typeof name !== 'string' || !SCHEDULE_NAME_PATTERN.test(name)) {
    problems.push({ path: '$.name', message: `is required and must match ${SCHEDULE_NAME_PATTERN.source}` });
  }
  let cadence: Cadence | null = null;
  if (raw.every !== undefined && raw.cron !== undefined) {
    problems.push({ path: '$.every', message: 'give every or cron, not both' });
  } else if (raw.every === undefined && raw.cron === undefined) {
    problems.push({ path: '$.every', message: 'give every (such as "6h") or cron (such as "0 */6 * * *")' });
  } else if (raw.every !== undefined) {
    const every =
      typeof raw.every === 'string' ? parseEvery(raw.every) : { ok: false as const, problem: 'must be a duration text such as "6h"' };
    if (every.ok) cadence = { kind: 'every', everyMs: every.ms };
    else problems.push({ path: '$.every', message: every.problem });
  } else if (typeof raw.cron !== 'string') {
    problems.push({ path: '$.cron', message: 'must be a cron expression text such as "0 */6 * * *"' });
  } else {
    const ticks = tickSource({ kind: 'cron', expression: raw.cron });
    if (ticks.ok) cadence = ticks.ticks.cadence;
    else problems.push({ path: '$.cron', message: ticks.problem });
  }
  const set = settings(raw, problems);
  let spec: { spec: NormalisedJobSpec; hash: string; received: string } | null = null;
  if (!isObject(raw.spec)) {
    problems.push({ path: '$.spec', message: 'is required: the job spec each run submits' });
  } else if (raw.spec.id !== undefined) {
    problems.push({ path: '$.spec.id', message: 'leave it out: each run of a schedule is the job <name>-<run>' });
  } else {
    const result = normaliseJobSpec(raw.spec, config);
    if (result.ok) spec = { spec: result.spec, hash: result.hash, received: JSON.stringify(raw.spec) };
    else
      problems.push(
        ...result.problems.map((p) => ({ path: p.path === '$' ? '$.spec' : p.path.replace(/^\$/, '$.spec'), message: p.message })),
      );
  }
  if (problems.length > 0 || !cadence || !spec) return { ok: false, problems: sortProblems(problems) };
  return {
    ok: true,
    value: {
      name: name as string,
      cadence,
      spec: spec.spec,
      specReceived: spec.received,
      specHash: spec.hash,
      overlap: set.overlap ?? 'skip',
      catchUp: set.catchUp ?? DEFAULT_CATCH_UP,
      keepRuns: set.keepRuns ?? null,
      keepDays: set.keepDays ?? null,
    },
  };
}

/** Reads an update: `{ overlap?, catchUp?, keepRuns?, keepDays? }`, at least one. */
export function readScheduleUpdate(raw: unknown): Read<ScheduleUpdate> {
  if (!isObject(raw)) return { ok: false, problems: [{ path: '$', message: 'an update must be a JSON object' }] };
  const problems: Problem[] = [];
  unknownFields(raw, UPDATE_FIELDS, problems);
  const value = settings(raw, problems);
  if (problems.length === 0 && Object.keys(value).length === 0) {
    problems.push({ path: '$', message: `give at least one of ${UPDATE_FIELDS.join(', ')}` });
  }
  return problems.length > 0 ? { ok: false, problems: sortProblems(problems) } : { ok: true, value };
}
