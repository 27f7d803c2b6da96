import type { LiveEventKind, LiveEventView } from '../views/api-views.types.js';

/** A live event before the streaming daemon numbers it. */
export type LiveEventBody = Omit<LiveEventView, 'seq'>;

const KINDS: Record<string, LiveEventKind> = {
  as: 'attempt_started', af: 'attempt_finished', es: 'execution_state', js: 'job_state', f: 'finding',
};

/**
 * Decodes one `beacon_live` NOTIFY payload (see the live-events migration): a JSON array of positional event arrays
 * [kind, atMs, jobId, executionId, attemptId, region, modelId, questionId, state, outcome, classification, runnerId,
 * attempt, latencyMs, httpStatus, ruleId, severity, findingId, summary]; trailing fields may be missing. Events of an
 * unknown kind are skipped, so an older daemon ignores what a newer schema adds.
 */
export function decodeLivePayload(payload: string): LiveEventBody[] {
  const rows = JSON.parse(payload) as unknown;
  if (!Array.isArray(rows)) return [];
  const out: LiveEventBody[] = [];
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    const code = String(row[0]);
    if (!Object.hasOwn(KINDS, code)) continue;
    const kind = KINDS[code]!;
    const atMs = Number(row[1]);
    if (!Number.isFinite(atMs) || Math.abs(atMs) > 8.64e15) continue; // a bad time loses this event, not its batch
    const str = (i: number): string | null => (row[i] === null || row[i] === undefined ? null : String(row[i]));
    const num = (i: number): number | null => (typeof row[i] === 'number' ? row[i] : null);
    out.push({
      kind,
      at: new Date(atMs).toISOString(),
      jobId: str(2) ?? '',
      executionId: str(3),
      attemptId: str(4),
      region: str(5),
      modelId: str(6),
      questionId: str(7),
      state: str(8),
      outcome: str(9),
      classification: str(10),
      runnerId: str(11),
      attempt: num(12),
      latencyMs: num(13),
      httpStatus: num(14),
      ruleId: str(15),
      severity: str(16),
      ...(kind === 'finding' ? { findingId: str(17), summary: str(18) } : {}),
    });
  }
  return out;
}
