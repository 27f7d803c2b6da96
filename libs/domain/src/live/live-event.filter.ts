import type { LiveEventKind, LiveEventView } from '../views/api-views.types.js';
import { LIVE_KIND_CODES } from './live-event.codec.js';

/** Every kind of live event (those the wire form has a code for). */
export const LIVE_EVENT_KINDS: readonly LiveEventKind[] = Object.keys(LIVE_KIND_CODES) as LiveEventKind[];

/** The query parameters of `GET /api/v1/events` that filter it. */
export const LIVE_FILTER_PARAMS = ['job', 'region', 'model', 'state', 'classification', 'kind'] as const;

/** A parsed filter: for each field, the values allowed (absent: any). */
export type LiveEventMatcher = Partial<Record<(typeof LIVE_FILTER_PARAMS)[number], ReadonlySet<string>>>;

/** A filter parameter that cannot be used, named. */
export class LiveFilterError extends Error {
  constructor(
    readonly param: string,
    readonly problem: string,
  ) {
    super(`${param}: ${problem}`);
  }
}

/**
 * Parses the filter parameters; each may repeat or be comma-separated (`state=failed,succeeded`). Throws
 * {@link LiveFilterError} for an unknown `kind` or an oversized value.
 */
export function parseLiveFilter(query: Record<string, unknown>): LiveEventMatcher {
  const matcher: LiveEventMatcher = {};
  for (const param of LIVE_FILTER_PARAMS) {
    const raw = query[param];
    if (raw === undefined) continue;
    const parts = (Array.isArray(raw) ? raw : [raw])
      .flatMap((v) => {
        if (typeof v !== 'string') throw new LiveFilterError(param, 'must be a string');
        return v.split(',');
      })
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (parts.length === 0) continue;
    if (parts.length > 100 || parts.some((p) => p.length > 200))
      throw new LiveFilterError(param, 'at most 100 values of at most 200 characters');
    if (param === 'kind') {
      const bad = parts.find((p) => !LIVE_EVENT_KINDS.includes(p as LiveEventKind));
      if (bad !== undefined) throw new LiveFilterError(param, `unknown kind ${JSON.stringify(bad)}; one of ${LIVE_EVENT_KINDS.join(', ')}`);
    }
    matcher[param] = new Set(parts);
  }
  return matcher;
}

/** True when the event passes every field of the filter (a field the event lacks does not match a set filter). */
export function matchesLiveFilter(m: LiveEventMatcher, e: LiveEventView): boolean {
  const ok = (set: ReadonlySet<string> | undefined, v: string | null): boolean => !set || (v !== null && set.has(v));
  return (
    ok(m.kind, e.kind) &&
    ok(m.job, e.jobId) &&
    ok(m.region, e.region) &&
    ok(m.model, e.modelId) &&
    ok(m.state, e.state) &&
    ok(m.classification, e.classification)
  );
}
