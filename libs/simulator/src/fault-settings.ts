import { z } from 'zod';
import { resolveModel } from './simulator-models.js';
import type { FaultSettings } from './simulator.types.js';

/** No faults, the model's own latency, `Retry-After: 1`. */
export const DEFAULT_FAULTS: Readonly<FaultSettings> = Object.freeze({
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  hangRate: 0,
  badRequestRate: 0,
  outages: [],
  latencyMs: null,
  refusals: [],
});

const rate = z.number({ error: 'must be a number from 0 to 1' }).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1');
const millis = z.number({ error: 'must be a number of milliseconds' }).min(0, 'must be 0 or more');

const faultsSchema = z
  .strictObject({
    errorRate: rate,
    rateLimitRate: rate,
    retryAfterSeconds: z.number({ error: 'must be a number of seconds' }).min(0, 'must be 0 or more'),
    hangRate: rate,
    badRequestRate: rate,
    outages: z.array(
      z
        .strictObject({
          region: z.string({ error: 'must be a region id' }).optional(),
          model: z.string({ error: 'must be a model id' }).optional(),
          startMs: millis,
          endMs: millis,
        })
        .refine((o) => o.endMs >= o.startMs, { message: 'endMs must not be before startMs', path: ['endMs'] }),
      { error: 'must be a list' },
    ),
    latencyMs: z
      .strictObject({ min: millis, max: millis })
      .refine((l) => l.max >= l.min, { message: 'max must not be below min', path: ['max'] })
      .nullable(),
    refusals: z.array(
      z.strictObject({
        model: z.string({ error: 'must be a model id' }).optional(),
        region: z.string({ error: 'must be a region id' }).optional(),
        topic: z.string({ error: 'must be a keyword of the question text' }).min(1, 'must not be empty').optional(),
        rate: rate.optional(),
      }),
      { error: 'must be a list' },
    ),
  })
  .partial();

/** The fault settings of a fresh simulator (a copy of {@link DEFAULT_FAULTS}). */
export function defaultFaults(): FaultSettings {
  return mergeFaults(DEFAULT_FAULTS, {});
}

/** Validates a partial fault update (e.g. a `POST /_sim/faults` body) and returns it with model aliases resolved; throws a RangeError naming each bad field. */
export function parseFaultUpdate(input: unknown, regions: readonly string[]): Partial<FaultSettings> {
  const parsed = faultsSchema.safeParse(input);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${pathText(issue.path)}: ${issue.message}`);
  const update = parsed.success ? (parsed.data as Partial<FaultSettings>) : {};
  update.outages?.forEach((outage, i) => {
    if (outage.region !== undefined && !regions.includes(outage.region))
      problems.push(`outages[${i}].region: unknown region "${outage.region}" (known: ${regions.join(', ')})`);
    if (outage.model !== undefined) {
      const model = resolveModel(outage.model);
      if (model) outage.model = model.id;
      else problems.push(`outages[${i}].model: unknown model "${outage.model}"`);
    }
  });
  update.refusals?.forEach((refusal, i) => {
    if (refusal.region !== undefined && !regions.includes(refusal.region))
      problems.push(`refusals[${i}].region: unknown region "${refusal.region}" (known: ${regions.join(', ')})`);
    if (refusal.model !== undefined) {
      const model = resolveModel(refusal.model);
      if (model) refusal.model = model.id;
      else problems.push(`refusals[${i}].model: unknown model "${refusal.model}"`);
    }
  });
  if (problems.length) throw new RangeError(`invalid fault settings: ${problems.join('; ')}`);
  return update;
}

/** `current` with the fields of `update` replaced; lists and ranges are copied. */
export function mergeFaults(current: FaultSettings, update: Partial<FaultSettings>): FaultSettings {
  const merged = { ...current, ...update };
  return {
    ...merged,
    outages: merged.outages.map((o) => ({ ...o })),
    refusals: merged.refusals.map((r) => ({ ...r })),
    latencyMs: merged.latencyMs ? { ...merged.latencyMs } : null,
  };
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}
