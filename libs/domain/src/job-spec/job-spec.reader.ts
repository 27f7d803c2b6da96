import type { z } from 'zod';
import type { Problem } from '../problems/problem.js';
import { describeValue, issuesToProblems, jsonChildPath, jsonPathFormatter, problemMessages } from '../json/zod-issue.mapper.js';
import { specFieldSchemas as fields } from './job-spec.schema.js';
import type { SpecFormat } from './job-spec.types.js';

type Obj = Record<string, unknown>;

/** A value read from the received spec, with the JSON path it was read from. */
export interface At<T = unknown> {
  value: T;
  path: string;
}

/** One list of axis entries (questions, models or regions) as received; `invalid` when it was not a list. */
export interface AxisSource {
  path: string;
  entries: At[];
  invalid: boolean;
}

/** The fields of a job spec, read from wherever its format keeps them; every value is type-checked. */
export interface SpecFields {
  format: SpecFormat;
  /** Path of the spec body: `$`, or `$.jobspec` in the portal form. */
  base: string;
  /** False when the portal's `jobspec` is not an object, so nothing else can be read. */
  readable: boolean;
  id?: At<string>;
  version?: string;
  benchmark: { name?: string; version?: string; description?: string };
  prompt?: At<string>;
  questions?: AxisSource;
  /** Where the models were found, the authoritative location first. */
  models: AxisSource[];
  /** Where the regions were found, the authoritative location first. */
  regions: AxisSource[];
  repeats?: number;
  /** `languages`: each question asked in each of these. */
  languages?: At<string[]>;
  /** `prompt_variants`: each cell asked under each of these region prompts. */
  promptVariants?: At<string[]>;
  minRegions?: At<number>;
  minSuccessRate?: number;
  timeoutMs?: number;
  providerTimeoutMs?: number;
  allowRegionFallback?: boolean;
  temperature?: number;
  maxTokens?: number;
  maxAttempts?: number;
  /** `constraints.max_cost` (or `max_cost` at the top), USD. */
  maxCost?: At<number>;
  createdBy?: string;
  createdAt?: string;
}

/** Default share of regions that must succeed (the Go runner's default). */
export const DEFAULT_MIN_SUCCESS_RATE = 0.67;

/** Default number of regions that must succeed. */
export const DEFAULT_MIN_REGIONS = 1;

/** `true` for a JSON object (not null, not an array). */
export function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The form of a spec body: a `jobspec` key means the portal wrapper; Go JobSpec keys mean the Go runner. */
export function detectFormat(raw: Obj): SpecFormat {
  if (Object.hasOwn(raw, 'jobspec')) return 'go-portal';
  if (['benchmark', 'constraints', 'metadata'].some((key) => Object.hasOwn(raw, key))) return 'go-runner';
  return 'beacon';
}

class FieldReader {
  constructor(readonly problems: Problem[]) {}

  private raw(parent: At<Obj> | undefined, key: string): At | undefined {
    if (!parent) return undefined;
    const value = parent.value[key];
    if (value === undefined || value === null || value === '') return undefined;
    return { value, path: jsonChildPath(parent.path, key) };
  }

  object(parent: At<Obj> | undefined, key: string): At<Obj> | undefined {
    const found = this.raw(parent, key);
    if (!found) return undefined;
    if (isObject(found.value)) return { value: found.value, path: found.path };
    this.problems.push({ path: found.path, message: `must be an object, not ${describeValue(found.value)}` });
    return undefined;
  }

  value<T>(parent: At<Obj> | undefined, key: string, schema: z.ZodType<T>): At<T> | undefined {
    const found = this.raw(parent, key);
    if (!found) return undefined;
    const parsed = schema.safeParse(found.value, { error: problemMessages });
    if (parsed.success) return { value: parsed.data, path: found.path };
    this.problems.push(...issuesToProblems(parsed.error.issues, jsonPathFormatter(found.path)));
    return undefined;
  }

  list(parent: At<Obj> | undefined, key: string): AxisSource | undefined {
    if (!parent || parent.value[key] === undefined || parent.value[key] === null) return undefined;
    const path = jsonChildPath(parent.path, key);
    const value = parent.value[key];
    if (Array.isArray(value)) {
      return { path, invalid: false, entries: value.map((entry: unknown, index) => ({ value: entry, path: jsonChildPath(path, index) })) };
    }
    this.problems.push({ path, message: `must be a list, not ${describeValue(value)}` });
    return { path, entries: [], invalid: true };
  }
}

function present<T>(...items: (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}

function pick<T>(first: At<T> | undefined, second: At<T> | undefined): T | undefined {
  return (first ?? second)?.value;
}

function nanosToMs(at: At<number> | undefined): number | undefined {
  return at && at.value > 0 ? Math.ceil(at.value / 1_000_000) : undefined;
}

/**
 * Reads every field Beacon uses from a spec in any accepted form, recording type problems at their
 * JSON paths. Semantic checks (known ids, duplicates, ranges across fields) are left to the caller.
 */
export function readSpecFields(raw: Obj, problems: Problem[]): SpecFields {
  const r = new FieldReader(problems);
  const format = detectFormat(raw);
  const wrapper: At<Obj> = { value: raw, path: '$' };
  const root = format === 'go-portal' ? r.object(wrapper, 'jobspec') : wrapper;
  const base = format === 'go-portal' ? '$.jobspec' : '$';
  if (format === 'go-portal' && !root && (raw.jobspec === null || raw.jobspec === '')) {
    problems.push({ path: base, message: 'must be an object (the Go runner job spec)' });
  }

  const benchmark = r.object(root, 'benchmark');
  const data = r.object(r.object(benchmark, 'input'), 'data');
  const constraints = r.object(root, 'constraints');
  const metadata = r.object(root, 'metadata');
  const parameters = r.object(root, 'parameters');

  const id = r.value(root, 'id', fields.id);
  const jobspecId = r.value(root, 'jobspec_id', fields.id);
  if (id && jobspecId && id.value !== jobspecId.value) {
    problems.push({ path: jobspecId.path, message: `differs from id "${id.value}"` });
  }

  const topModels = r.list(root, 'models');
  const metadataModels = r.list(metadata, 'models');
  const topRegions = r.list(root, 'regions');
  const constraintRegions = r.list(constraints, 'regions');
  const targetRegions = format === 'go-portal' ? r.list(wrapper, 'target_regions') : undefined;
  const goFirst = format !== 'beacon';

  // The Go runner's zero value of min_regions means "use the default".
  const minRegions = (parent: At<Obj> | undefined) =>
    goFirst && parent?.value.min_regions === 0 ? undefined : r.value(parent, 'min_regions', fields.minRegions);
  const innerMinRegions = minRegions(constraints);
  const wrapperMinRegions = format === 'go-portal' ? minRegions(wrapper) : undefined;
  const innerRate = r.value(constraints, 'min_success_rate', fields.minSuccessRate);
  const wrapperRate = format === 'go-portal' ? r.value(wrapper, 'min_success_rate', fields.minSuccessRate) : undefined;

  const timeoutMs = r.value(constraints, 'timeout_ms', fields.milliseconds);
  const timeoutFromNanos = nanosToMs(r.value(constraints, 'timeout', fields.nanoseconds));
  if (timeoutMs && timeoutFromNanos !== undefined && timeoutMs.value !== timeoutFromNanos) {
    problems.push({ path: timeoutMs.path, message: `disagrees with constraints.timeout (${timeoutFromNanos} ms)` });
  }

  const innerMaxCost = r.value(constraints, 'max_cost', fields.maxCost);
  const topMaxCost = r.value(root, 'max_cost', fields.maxCost);
  if (innerMaxCost && topMaxCost && innerMaxCost.value !== topMaxCost.value) {
    problems.push({ path: topMaxCost.path, message: `disagrees with constraints.max_cost (${innerMaxCost.value})` });
  }

  const regionSources = goFirst ? present(constraintRegions, topRegions) : present(topRegions, constraintRegions);
  return {
    format,
    base,
    readable: root !== undefined,
    id: id ?? jobspecId,
    version: r.value(root, 'version', fields.label)?.value,
    benchmark: {
      name: pick(r.value(benchmark, 'name', fields.label), r.value(root, 'name', fields.label)),
      version: r.value(benchmark, 'version', fields.label)?.value,
      description: pick(r.value(benchmark, 'description', fields.description), r.value(root, 'description', fields.description)),
    },
    prompt: r.value(data, 'prompt', fields.prompt),
    questions: r.list(root, 'questions'),
    models: goFirst ? present(metadataModels, topModels) : present(topModels, metadataModels),
    regions: targetRegions ? [targetRegions] : regionSources,
    repeats: r.value(root, 'repeats', fields.repeats)?.value,
    languages: r.value(root, 'languages', fields.languages),
    promptVariants: r.value(root, 'prompt_variants', fields.promptVariants),
    minRegions: wrapperMinRegions ?? innerMinRegions,
    minSuccessRate: (wrapperRate ?? innerRate)?.value,
    timeoutMs: timeoutMs?.value ?? timeoutFromNanos,
    providerTimeoutMs: nanosToMs(r.value(constraints, 'provider_timeout', fields.nanoseconds)),
    allowRegionFallback: r.value(constraints, 'allow_region_fallback', fields.flag)?.value,
    temperature: r.value(parameters, 'temperature', fields.temperature)?.value,
    maxTokens: r.value(parameters, 'max_tokens', fields.maxTokens)?.value,
    maxAttempts: r.value(root, 'max_attempts', fields.maxAttempts)?.value,
    maxCost: innerMaxCost ?? topMaxCost,
    createdBy: pick(r.value(root, 'created_by', fields.label), r.value(metadata, 'created_by', fields.label)),
    createdAt: r.value(root, 'created_at', fields.timestamp)?.value,
  };
}

/**
 * What a received spec decides about its job, as one comparable text: every field read, without the JSON paths it
 * was read from, regions as a set (the authoritative list), and the constraints with their defaults applied (a
 * wrapper may repeat a default the signed spec left out). Two bodies with the same text plan the same job.
 */
export function specDecision(raw: Obj): string {
  const fields = readSpecFields(raw, []);
  const { base: _base, regions, minRegions, minSuccessRate, ...rest } = fields;
  const authoritative = regions[0];
  const regionSet = authoritative && {
    invalid: authoritative.invalid,
    values: authoritative.entries.map((e) => JSON.stringify(e.value)).sort(),
  };
  const decided = {
    ...rest,
    regions: regionSet ?? null,
    minRegions: minRegions?.value ?? DEFAULT_MIN_REGIONS,
    minSuccessRate: minSuccessRate ?? DEFAULT_MIN_SUCCESS_RATE,
  };
  return JSON.stringify(decided, (key, value: unknown) => (key === 'path' ? undefined : value));
}
