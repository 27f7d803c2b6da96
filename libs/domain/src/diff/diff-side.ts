import type { DiffSideView } from '../views/api-views.types.js';
import type { DiffRef } from './diff-ref.js';

/**
 * One side of a diff as read from the database, before shaping: the view's facts without the request's ref.
 * `classification` is the stored label of the side's result (the execution's current label; for an attempt ref, the
 * execution's label when that attempt is its result, else null) and `legacyClassification` the Go runner's own label
 * (imported rows). Nothing is classified here: every screen shows the one stored label.
 */
export type DiffSideRow = Omit<DiffSideView, 'ref' | 'kind' | 'imported' | 'legacyId' | 'legacyClassification'> & {
  imported: boolean;
  legacyId: string | null;
  legacyClassification: string | null;
};

/**
 * Shapes a side. The label is the stored one, as the timeline, the reconciler and reports read it: a failed attempt
 * or a cell without a successful response has none (null), whatever its response column holds (an HTTP error body is
 * never an answer).
 */
export function diffSide(rawRef: string, ref: DiffRef, row: DiffSideRow): DiffSideView {
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
    classification: row.classification,
    finishReason: row.finishReason,
    imported: row.imported,
    legacyId: row.legacyId,
    legacyClassification: row.imported ? row.legacyClassification : null,
  };
}
