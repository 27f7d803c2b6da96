import { storableValue } from '@beacon/domain';
import type { CallRecord } from './queue.types.js';

const INT4_MAX = 2_147_483_647;

/**
 * A call record PostgreSQL will take, and a note saying what had to change, or null when nothing did. Upstream
 * answers are data as it comes: a NUL character or an unpaired surrogate (refused by text and jsonb columns) becomes
 * U+FFFD, and a number outside an integer column's range is left out, so an outcome is never lost for its content.
 */
export function storableCall(call: CallRecord): { call: CallRecord; note: string | null } {
  const count = { replaced: 0 };
  const fields: string[] = [];
  const text = <T>(name: string, v: T): T => {
    const before = count.replaced;
    const out = storableValue(v, count);
    if (count.replaced > before) fields.push(name);
    return out;
  };
  const dropped: string[] = [];
  const int = (name: string, v: number | null): number | null => {
    if (v === null || (Number.isInteger(v) && Math.abs(v) <= INT4_MAX)) return v;
    dropped.push(`${name} ${String(v).slice(0, 40)}`);
    return null;
  };
  const out: CallRecord = {
    response: text('response', call.response),
    finishReason: text('finish_reason', call.finishReason),
    upstreamRequestId: text('upstream_request_id', call.upstreamRequestId),
    usage: text('usage', call.usage),
    error: text('error', call.error),
    httpStatus: int('http_status', call.httpStatus),
    latencyMs: int('latency_ms', call.latencyMs) ?? 0,
    inputTokens: int('input_tokens', call.inputTokens),
    outputTokens: int('output_tokens', call.outputTokens),
    served: call.served
      ? {
          providerKind: call.served.providerKind,
          region: call.served.region,
          regionObserved: text('region_observed', call.served.regionObserved),
          regionObservedAllowed: call.served.regionObservedAllowed,
          safety: text('provider_safety', call.served.safety ?? null)?.slice(0, 2000) ?? null,
        }
      : null,
  };
  // A cost is kept only with the token counts it was computed from (never a cost without its evidence).
  const cost = call.costUsd ?? null;
  out.costUsd = out.inputTokens !== null && out.outputTokens !== null && cost !== null && Number.isFinite(cost) && cost >= 0 ? cost : null;
  const notes: string[] = [];
  if (count.replaced > 0) {
    notes.push(
      `${count.replaced} character${count.replaced === 1 ? '' : 's'} (NUL or unpaired surrogate) replaced by U+FFFD in ${fields.join(', ')}`,
    );
  }
  if (dropped.length > 0) notes.push(`out of range, not stored: ${dropped.join(', ')}`);
  return { call: out, note: notes.length > 0 ? notes.join('; ') : null };
}

/**
 * True when a statement failed because of the values it carried, so that retrying it can only fail again: SQLSTATE
 * class 22 (data exception), 23 (integrity constraint) or 54 (program limit, e.g. a value too deeply nested), or a
 * value that could not even be serialised (RangeError). Connection loss, timeouts and shutdowns are not.
 */
export function isDataError(err: unknown): boolean {
  if (err instanceof RangeError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}
