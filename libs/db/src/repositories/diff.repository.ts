import type { DiffRef, DiffSideRow } from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { queryRows } from './query.js';

/** A reference resolved: the row, or why not. */
export type DiffLookup = { kind: 'found'; row: DiffSideRow } | { kind: 'not_found' } | { kind: 'ambiguous'; count: number };

/** A side as selected: an attempt with its execution, or an execution with its shown attempt (null when it has none). */
interface SideRow {
  execution_id: string;
  job_id: string;
  question_id: string;
  model_id: string;
  region: string;
  replicate: number;
  classification: string | null;
  legacy_classification: string | null;
  imported: boolean;
  legacy_id: string | null;
  attempt_id: string | null;
  attempt: number | null;
  started_at: Date | null;
  system_prompt: string | null;
  user_prompt: string | null;
  parameters: unknown;
  response: string | null;
  finish_reason: string | null;
}

/**
 * The Go runner's own label of an imported row: the `imported` version of its labels, or (rows imported before Beacon
 * labelled imports) the execution's label when no rule of Beacon's made it.
 */
const LEGACY_LABEL = `CASE WHEN e.imported THEN coalesce(
    (SELECT c.label FROM classifications c WHERE c.execution_id = e.id AND c.classifier_version = 'imported'),
    CASE WHEN e.classification_rule IS NULL THEN e.classification END) END AS legacy_classification`;

// The attempt shown for an execution: its result attempt, else its last. The label is the execution's stored one.
const EXECUTION_SIDE = `
  SELECT e.id AS execution_id, e.job_id, e.question_id, e.model_id, e.region, e.replicate, e.classification,
         ${LEGACY_LABEL}, e.imported, e.legacy_id, a.id AS attempt_id, a.attempt, coalesce(a.started_at, e.started_at) AS started_at,
         a.system_prompt, a.user_prompt, a.parameters, coalesce(e.response, a.response) AS response,
         coalesce(e.finish_reason, a.finish_reason) AS finish_reason
    FROM executions e
    LEFT JOIN LATERAL (SELECT * FROM execution_attempts a WHERE a.execution_id = e.id
                        ORDER BY (a.attempt = e.result_attempt) DESC NULLS LAST, a.attempt DESC, a.id DESC LIMIT 1) a ON true`;

/** Reads the two sides of a diff. */
export class DiffRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Resolves one reference. An execution id that matches no execution falls back to an imported execution with that
   * legacy id (what the imported findings cite), when exactly one has it.
   */
  async side(ref: DiffRef): Promise<DiffLookup> {
    if (ref.kind === 'attempt') {
      const rows = await queryRows<SideRow>(
        this.ds,
        // An attempt's label is the execution's stored one when the attempt is its result; any other attempt (a failed
        // call, an error body, a superseded try) has none.
        `SELECT e.id AS execution_id, e.job_id, e.question_id, e.model_id, e.region, e.replicate,
                CASE WHEN a.attempt = e.result_attempt THEN e.classification END AS classification, ${LEGACY_LABEL},
                e.imported, e.legacy_id, a.id AS attempt_id, a.attempt, a.started_at, a.system_prompt, a.user_prompt,
                a.parameters, a.response, a.finish_reason
           FROM execution_attempts a JOIN executions e ON e.id = a.execution_id WHERE a.id = $1`,
        [ref.id],
      );
      return rows[0] ? { kind: 'found', row: sideRow(rows[0]) } : { kind: 'not_found' };
    }
    if (ref.kind === 'execution') {
      const rows = await queryRows<SideRow>(this.ds, `${EXECUTION_SIDE} WHERE e.id = $1`, [ref.id]);
      if (rows[0]) return { kind: 'found', row: sideRow(rows[0]) };
    }
    const rows = await queryRows<SideRow>(this.ds, `${EXECUTION_SIDE} WHERE e.imported AND e.legacy_id = $1 LIMIT 10`, [ref.id]);
    if (rows.length > 1) return { kind: 'ambiguous', count: rows.length };
    return rows[0] ? { kind: 'found', row: sideRow(rows[0]) } : { kind: 'not_found' };
  }
}

function sideRow(r: SideRow): DiffSideRow {
  return {
    executionId: r.execution_id,
    attemptId: r.attempt_id,
    jobId: r.job_id,
    questionId: r.question_id,
    modelId: r.model_id,
    region: r.region,
    replicate: r.replicate,
    attempt: r.attempt,
    startedAt: r.started_at === null ? null : r.started_at.toISOString(),
    systemPrompt: r.system_prompt,
    userPrompt: r.user_prompt,
    parameters: r.parameters,
    response: r.response,
    classification: r.classification,
    legacyClassification: r.legacy_classification,
    finishReason: r.finish_reason,
    imported: r.imported,
    legacyId: r.legacy_id,
  };
}
