import { isActiveJobStatus, type ActiveJobStatus, type ClassifiableResult, type ClassificationRecord } from '@beacon/domain';
import { labelAll, type Labeller } from './labeller.js';

/** A committed result to (re-)label. */
export type RelabelCandidate = ClassifiableResult;

/** One versioned label of one execution, as stored. */
export type RelabelRecord = ClassificationRecord;

/** Where a job's results and their versioned labels live (the database's `ClassificationRepository`). */
export interface RelabelStore {
  /** The job's status, or null when there is no such job. */
  jobStatus(jobId: string): Promise<string | null>;
  /** Every committed result of the job, in execution order. */
  results(jobId: string): Promise<RelabelCandidate[]>;
  /**
   * Stores labels of one version; an execution that already has a label of that version keeps it. Returns the ids
   * of the executions that got a new label.
   */
  record(records: readonly RelabelRecord[]): Promise<Set<string>>;
}

/** What a re-label did: results seen, labels added, labels kept (already there for this version), new labels by label. */
export interface RelabelSummary {
  job: string;
  version: string;
  results: number;
  added: number;
  kept: number;
  labels: Record<string, number>;
}

/** A job re-labelled, or why not: no such job, or the job has not finished. */
export type RelabelOutcome =
  { kind: 'relabelled'; summary: RelabelSummary } | { kind: 'not_found' } | { kind: 'active'; status: ActiveJobStatus };

/**
 * Re-labels a finished job's results with a labeller's version, adding a label row per result and keeping the older
 * ones (a result already labelled by this version keeps its label). Does not close the labeller.
 */
export class RelabelJobService {
  constructor(private readonly store: RelabelStore) {}

  async relabel(jobId: string, labeller: Labeller): Promise<RelabelOutcome> {
    const status = await this.store.jobStatus(jobId);
    if (status === null) return { kind: 'not_found' };
    if (isActiveJobStatus(status)) return { kind: 'active', status };
    const results = await this.store.results(jobId);
    const labels = await labelAll(
      labeller,
      results.map((r) => ({
        content: r.response,
        finishReason: r.finishReason,
        prompt: r.userPrompt,
        // The refusal field and moderation flag are not stored; the earlier label that saw them is their record.
        refusal: r.currentRule === 'provider.refusal_field' ? 'recorded by an earlier classification' : null,
        moderationFlagged: r.currentRule === 'provider.moderation',
      })),
    );
    const added = await this.store.record(
      results.map((r, i) => ({
        executionId: r.executionId,
        attemptId: r.attemptId,
        version: labels[i]!.version,
        label: labels[i]!.label,
        confidence: labels[i]!.confidence,
        tier: labels[i]!.tier,
        rule: labels[i]!.rule,
      })),
    );
    const counts: Record<string, number> = {};
    results.forEach((r, i) => {
      if (added.has(r.executionId)) counts[labels[i]!.label] = (counts[labels[i]!.label] ?? 0) + 1;
    });
    return {
      kind: 'relabelled',
      summary: {
        job: jobId,
        version: labeller.version,
        results: results.length,
        added: added.size,
        kept: results.length - added.size,
        labels: counts,
      },
    };
  }
}
