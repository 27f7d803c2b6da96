import type { Problem } from '../problems/problem.js';
import { dottedPath } from '../json/zod-issue.mapper.js';

const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolateString(text: string, env: NodeJS.ProcessEnv, path: PropertyKey[], problems: Problem[]): string {
  return text.replace(REFERENCE, (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
    if (escaped) return whole.slice(1);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    problems.push({ path: dottedPath(path), message: `environment variable ${name} is not set` });
    return '';
  });
}

/**
 * A copy of `value` with `${NAME}` and `${NAME:-fallback}` in every string replaced from `env`
 * (`$${` keeps a literal `${`). An unset variable without fallback is a problem at that value's path.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, problems: Problem[], path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path, problems);
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, problems, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, problems, [...path, key])]));
  }
  return value;
}
