import type { DiffSideView } from '../views/api-views.types.js';
import type { DiffRef } from './diff-ref.js';

/** Beacon's own response labels; an imported row may carry another vocabulary (the Go runner's `unknown`). */
const LABELS = new Set(['answered', 'refused', 'partial', 'empty', 'filtered']);

/**
 * One side of a diff as read from the database, before shaping: the view's facts without the request's ref, and
 * `classification` as stored (the execution's label for execution refs, null for attempt refs).
 */
export type DiffSideRow = Omit<DiffSideView, 'ref' | 'kind' | 'imported' | 'legacyId' | 'legacyClassification'> & {
  imported: boolean;
  legacyId: string | null;
};

/** Labels a response (Beacon's deterministic classifier, `classifyResponse` of @beacon/classifier). */
export type ResponseLabeller = (response: { content: string | null; finishReason: string | null }) => string;

/**
 * Shapes a side. An attempt has no stored label, and an imported row's label may not be one of Beacon's; both are
 * labelled by `labelOf` (Beacon's deterministic classifier) from the response, so a refusal shows as `refused`
 * whatever the source said (the source's label is kept in `legacyClassification`).
 */
export function diffSide(rawRef: string, ref: DiffRef, row: DiffSideRow, labelOf: ResponseLabeller): DiffSideView {
  const stored = row.classification;
  const relabel = row.response !== null && (stored === null || !LABELS.has(stored));
  const classification = relabel ? labelOf({ content: row.response, finishReason: row.finishReason }) : stored;
  return {
    ref: rawRef,
    kind: ref.kind === 'attempt' ? 'attempt' : 'execution',
    executionId: row.executionId,
    attemptId: row.attemptId,
    jobId: row.jobId,
    questionId: row.questionId,
    modelId: row.modelId,
    region: row.region,
    replicate: row.replicate,
    attempt: row.attempt,
    startedAt: row.startedAt,
    systemPrompt: row.systemPrompt,
    userPrompt: row.userPrompt,
    parameters: row.parameters,
    response: row.response,
    classification,
    finishReason: row.finishReason,
    imported: row.imported,
    legacyId: row.legacyId,
    legacyClassification: row.imported ? stored : null,
  };
}
