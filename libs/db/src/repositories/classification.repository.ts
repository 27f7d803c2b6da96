import type { DataSource } from 'typeorm';
import type { ClassifiableResult, ClassificationRecord, JobStatus } from '@beacon/domain';
import { queryRows } from './query.js';
import { CELL_SQL, parseJobStatus } from './status-sql.js';

/** A committed result with the prompt of its attempt (`attempt_id` and `user_prompt` null when no attempt row matches). */
interface ResultRow {
  id: string;
  attempt_id: string | null;
  response: string | null;
  finish_reason: string | null;
  classification_rule: string | null;
  user_prompt: string | null;
}

/** A `classifications` row. */
interface ClassificationRow {
  execution_id: string;
  attempt_id: string | null;
  classifier_version: string;
  label: string;
  confidence: number | null;
  tier: string | null;
  rule: string | null;
  created_at: Date;
}

export type { ClassifiableResult, ClassificationRecord };

/** A stored versioned label and when it was written. */
export interface StoredClassification extends ClassificationRecord {
  createdAt: Date;
}

/**
 * Versioned labels (`classifications`): written once per (execution, classifier version), never updated, so a
 * newer classifier adds rows beside the old ones. `executions.classification` holds the current label.
 */
export class ClassificationRepository {
  constructor(private readonly ds: DataSource) {}

  /** The job's status, or null when there is no such job. */
  async jobStatus(jobId: string): Promise<JobStatus | null> {
    const rows = await queryRows<{ status: string }>(this.ds, `SELECT status FROM jobs WHERE id = $1`, [jobId]);
    return rows[0] ? parseJobStatus(rows[0].status) : null;
  }

  /** Every committed result of a job, in execution order. */
  async results(jobId: string): Promise<ClassifiableResult[]> {
    const rows = await queryRows<ResultRow>(
      this.ds,
      `SELECT e.id, a.id AS attempt_id, e.response, e.finish_reason, e.classification_rule, a.user_prompt
         FROM executions e
         LEFT JOIN execution_attempts a ON a.execution_id = e.id AND a.attempt = e.result_attempt
        WHERE e.job_id = $1 AND e.state = ${CELL_SQL.succeeded}
        ORDER BY e.id`,
      [jobId],
    );
    return rows.map((r) => ({
      executionId: r.id,
      attemptId: r.attempt_id,
      response: r.response,
      finishReason: r.finish_reason,
      currentRule: r.classification_rule,
      userPrompt: r.user_prompt,
    }));
  }

  /**
   * Stores labels of one version in one statement. An execution that already has a label of that version keeps it
   * (nothing is overwritten); for the rows written, the execution's current label becomes the new one. Returns the
   * ids of the executions that got a new row.
   */
  async record(records: readonly ClassificationRecord[]): Promise<Set<string>> {
    if (records.length === 0) return new Set();
    const col = <T>(f: (r: ClassificationRecord) => T) => records.map(f);
    const rows = await queryRows<{ execution_id: string }>(
      this.ds,
      `WITH input AS (
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::real[], $6::text[], $7::text[])
                AS i(execution_id, attempt_id, classifier_version, label, confidence, tier, rule)),
       added AS (
         INSERT INTO classifications (execution_id, attempt_id, classifier_version, label, confidence, tier, rule)
         SELECT execution_id, attempt_id, classifier_version, label, confidence, tier, rule FROM input
         ON CONFLICT (execution_id, classifier_version) DO NOTHING
         RETURNING execution_id, label, rule),
       current AS (
         UPDATE executions e SET classification = a.label, classification_rule = a.rule
           FROM added a WHERE e.id = a.execution_id)
       SELECT execution_id FROM added`,
      [
        col((r) => r.executionId),
        col((r) => r.attemptId),
        col((r) => r.version),
        col((r) => r.label),
        col((r) => r.confidence),
        col((r) => r.tier),
        col((r) => r.rule),
      ],
    );
    return new Set(rows.map((r) => r.execution_id));
  }

  /** Every stored label of the given executions, oldest first. */
  async history(executionIds: readonly string[]): Promise<StoredClassification[]> {
    if (executionIds.length === 0) return [];
    const rows = await queryRows<ClassificationRow>(
      this.ds,
      `SELECT execution_id, attempt_id, classifier_version, label, confidence, tier, rule, created_at
         FROM classifications WHERE execution_id = ANY($1::bigint[])
        ORDER BY execution_id, created_at, id`,
      [executionIds],
    );
    return rows.map((r) => ({
      executionId: r.execution_id,
      attemptId: r.attempt_id,
      version: r.classifier_version,
      label: r.label,
      confidence: r.confidence,
      tier: r.tier,
      rule: r.rule,
      createdAt: r.created_at,
    }));
  }
}
