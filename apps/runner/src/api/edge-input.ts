import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { escapeControlChars, hasControlChars, type Problem } from '@beacon/domain';
import { z } from 'zod';
import { ApiError } from './api-error.js';

/**
 * One validation mechanism for every path and query parameter of the API: each route declares a zod schema for its
 * query (a strict object: unknown names, `name[]=` and `name[key]=` forms are refused, not dropped) and for each path
 * parameter, and {@link ValidInput} turns every problem into a 400 `{error: 'invalid_parameter', message, problems}`
 * naming the parameter. Values are checked before any of them reaches SQL: no control characters (PostgreSQL text
 * cannot hold U+0000), bounded length, integers within their column's range.
 */

/** Longest text value accepted in a path or query parameter (ids are at most 128 characters). */
export const MAX_PARAM_CHARS = 256;

/** What a text parameter may not be, or null when it is fine. */
export function textProblem(value: string, max = MAX_PARAM_CHARS): string | null {
  if (hasControlChars(value)) return 'must not contain control characters (such as NUL)';
  if (value.length > max) return `must be at most ${max} characters`;
  return null;
}

/** Why a value was refused (returned by a {@link Check}). */
export class Refusal {
  constructor(readonly problem: string) {}
}

/** Parses one text value, or says why it cannot. */
export type Check<T> = (value: string) => T | Refusal;

/**
 * A parameter given at most once. Absent or empty means undefined (as `?job=` always has); a repeated parameter is an
 * error naming how often it was given, since picking one of its values silently would answer another question.
 */
export function single(check?: undefined, max?: number): z.ZodType<string | undefined, unknown>;
export function single<T>(check: Check<T>, max?: number): z.ZodType<T | undefined, unknown>;
export function single<T>(check?: Check<T>, max = MAX_PARAM_CHARS): z.ZodType<T | string | undefined, unknown> {
  return z
    .unknown()
    .optional()
    .transform((raw, ctx): T | string | undefined => {
      if (raw === undefined) return undefined;
      if (Array.isArray(raw)) {
        ctx.addIssue({ code: 'custom', message: `is given ${raw.length} times; give it once` });
        return z.NEVER;
      }
      if (typeof raw !== 'string') {
        ctx.addIssue({ code: 'custom', message: 'must be a single plain value' });
        return z.NEVER;
      }
      const problem = textProblem(raw, max);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      if (raw === '') return undefined;
      if (!check) return raw;
      const out = check(raw);
      if (out instanceof Refusal) {
        ctx.addIssue({ code: 'custom', message: out.problem });
        return z.NEVER;
      }
      return out;
    });
}

/** A parameter that may repeat (each value checked as text); undefined when absent. */
export function repeated(max = MAX_PARAM_CHARS, maxValues = 100) {
  return z
    .unknown()
    .optional()
    .transform((raw, ctx): string[] | undefined => {
      if (raw === undefined) return undefined;
      const values = Array.isArray(raw) ? raw : [raw];
      if (values.length > maxValues) {
        ctx.addIssue({ code: 'custom', message: `is given ${values.length} times; at most ${maxValues}` });
        return z.NEVER;
      }
      for (const v of values) {
        const problem = typeof v === 'string' ? textProblem(v, max) : 'must be a plain value';
        if (problem) {
          ctx.addIssue({ code: 'custom', message: problem });
          return z.NEVER;
        }
      }
      return values as string[];
    });
}

/** One of `allowed`. */
export const oneOf =
  (allowed: readonly string[]): Check<string> =>
  (v) =>
    allowed.includes(v) ? v : new Refusal(`must be one of ${allowed.join(', ')}`);

/** An integer from 1 to `max`; `dflt` when absent. */
export function limit(dflt: number, max: number) {
  return single<number>((v) =>
    /^\d{1,7}$/.test(v) && Number(v) >= 1 && Number(v) <= max ? Number(v) : new Refusal(`must be an integer from 1 to ${max}`),
  ).transform((n) => n ?? dflt);
}

/** A positive bigint id (an execution or attempt id), as its decimal text. */
export const bigintId: Check<string> = (v) =>
  /^[1-9]\d{0,17}$/.test(v) ? v : new Refusal('must be a positive integer of at most 18 digits');

/** An opaque numeric cursor (the `nextCursor` of a previous page). */
export const numericCursor: Check<string> = (v) => (/^\d{1,18}$/.test(v) ? v : new Refusal('must be the nextCursor of a previous page'));

/** A path parameter naming a job: present, text, bounded (whether it exists is the handler's 404). */
export const jobIdParam = single()
  .refine((v) => v !== undefined, { message: 'is required' })
  .transform((v) => v);

/** A path parameter holding a positive bigint id. */
export const bigintIdParam = single(bigintId)
  .refine((v) => v !== undefined, { message: 'is required' })
  .transform((v) => v);

/** A strict query object: every name not in `shape` is refused with the names the route takes. */
export function query<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter; this route takes ${known.length ? known.join(', ') : 'no parameters'}`
        : undefined,
  });
}

/** The query of a route that takes no parameters: any name is refused (as on every other route), not ignored. */
export const noQuery = query({});

/** Turns zod issues into problems named by parameter (one per unknown name). */
export function problemsOf(error: z.ZodError, name?: string): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: printable(key), message: issue.message });
      continue;
    }
    const path = [name, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    out.push({ path: printable(path) || '$', message: issue.message });
  }
  return out;
}

/** A parameter name fit for an answer: control characters escaped, length bounded. */
function printable(name: string): string {
  return escapeControlChars(name, 100);
}

/** The 400 for rejected parameters. */
export function invalidParameters(problems: Problem[]): ApiError {
  return new ApiError(400, 'invalid_parameter', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

/**
 * Validates a handler argument with `schema`: `@Query(new ValidInput(schema))` for the whole query, or
 * `@Param('id', new ValidInput(jobIdParam))` for one path parameter (the problem is then named `id`).
 */
@Injectable()
export class ValidInput<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, meta: ArgumentMetadata): z.output<S> {
    const parsed = this.schema.safeParse(meta.type === 'query' && !meta.data && value === undefined ? {} : value);
    if (parsed.success) return parsed.data;
    throw invalidParameters(problemsOf(parsed.error, meta.data));
  }
}
