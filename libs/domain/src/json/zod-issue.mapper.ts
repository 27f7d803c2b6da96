import type { z } from 'zod';
import type { Problem } from '../problems/problem.js';

/** Turns a zod issue path into the path text of a {@link Problem}. */
export type PathFormatter = (segments: readonly PropertyKey[]) => string;

/** The path of the whole document in dotted (config) paths. */
export const ROOT_PATH = '(root)';

/** `parent` extended by one key or index in JSON-path notation: `$.a`, `$.a[2]`, `$["odd key"]`. */
export function jsonChildPath(parent: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const name = String(key);
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
}

/** A formatter for JSON paths under `base`, e.g. `$.jobspec`. */
export function jsonPathFormatter(base: string): PathFormatter {
  return (segments) => segments.reduce<string>(jsonChildPath, base);
}

/** Dotted config paths: `regions.us-east.timeoutMs`, `questions[2].text`; the empty path is {@link ROOT_PATH}. */
export function dottedPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? ROOT_PATH : out;
}

/** A phrase for an expected type: `a string`, `an integer`, `a list`. */
export function describeType(expected: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'a boolean',
    array: 'a list',
    object: 'an object',
    record: 'an object',
  };
  return names[expected] ?? `a ${expected}`;
}

/** A phrase for the type of a received value: `null`, `a list`, `a string`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return describeType(typeof value);
}

function sizeMessage(issue: { origin: string; inclusive?: boolean }, bound: number | bigint, side: 'min' | 'max'): string {
  if (issue.origin === 'string') {
    if (side === 'min' && Number(bound) === 1) return 'must not be empty';
    return `must be at ${side === 'min' ? 'least' : 'most'} ${bound} characters`;
  }
  if (issue.origin === 'array') {
    if (side === 'min' && Number(bound) === 1) return 'must not be empty';
    return `must have at ${side === 'min' ? 'least' : 'most'} ${bound} entries`;
  }
  const relation = side === 'min' ? (issue.inclusive === false ? '>' : '>=') : issue.inclusive === false ? '<' : '<=';
  return `must be ${relation} ${bound}`;
}

/** Zod error map giving the short messages used in problems (`must be an integer`, `is required`). */
export const problemMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${describeType(issue.expected)}, not ${describeValue(issue.input)}`;
    case 'too_small':
      return sizeMessage(issue, issue.minimum, 'min');
    case 'too_big':
      return sizeMessage(issue, issue.maximum, 'max');
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern ? `must match ${issue.pattern}` : `must be a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return undefined;
  }
};

/** Problems for zod issues; an unknown-keys issue becomes one problem per key, at that key. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], toPath: PathFormatter): Problem[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: toPath([...issue.path, key]), message: issue.message }))
      : [{ path: toPath(issue.path), message: issue.message }],
  );
}
