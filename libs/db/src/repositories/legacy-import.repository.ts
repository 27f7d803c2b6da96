import { LegacyImportError, type LegacyExecutionRow, type LegacyImport, type ResponseLabeller } from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query.js';
import { CELL_SQL } from './status-sql.js';

/** What importing one export did. */
export interface ImportResult {
  jobId: string;
  jobCreated: boolean;
  imported: number;
  alreadyPresent: number;
}

/** Executions written per statement pair (executions, then their attempts). */
const IMPORT_CHUNK = 2000;

/**
 * Stores the Go runner's exports, already read and turned into rows by the domain (`legacyImportRows`): one
 * transaction per export, keeping the original ids, so that importing again changes nothing.
 */
export class LegacyImportRepository {
  /**
   * `labelOf` is Beacon's classifier (`classifyResponse` of @beacon/classifier): each imported execution that
   * succeeded gets Beacon's label as its current label (and a `classifications` row of that version), so the diff,
   * the timeline, the reconciler and reports all show the same label; the Go runner's own label is kept as a row of
   * version `imported`. A failed or cancelled row gets no label of Beacon's: its response is an error, not an answer.
   */
  constructor(
    private readonly ds: DataSource,
    private readonly labelOf: ResponseLabeller,
  ) {}

  /**
   * Writes one export: the job (id = the jobspec id), one executions row and one execution_attempts row per exported
   * execution, with the export's times as they are (an end before a start included: the reconciler flags it). Rows already imported are left as they are; a job of that id that was not imported, or was imported
   * from another legacy job, is refused with a {@link LegacyImportError}.
   */
  async store(rows: LegacyImport, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    const job = rows.job;
    const total = rows.executionCount;
    // updated_at is the import time (the legacy times stay in created/started/finished_at), so that the daemon's next
    // incremental reconciler pass, which looks at jobs changed since its last run, checks the imported job.
    return this.ds.transaction(async (tx: EntityManager) => {
      const inserted = await queryRows<{ id: string }>(
        tx,
        `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, status, cells_expected, imported, legacy_id,
                           created_at, updated_at, started_at, finished_at, legacy_status, legacy_data)
         VALUES ($1, 'go-runner', $2, $3, $4, $5, $6, true, $7, coalesce($8, now()), now(), $8, coalesce($9, $8, now()),
                 $10, $11::jsonb)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          job.id,
          job.specReceived,
          job.specHash,
          JSON.stringify(job.spec),
          job.status,
          job.cellsExpected,
          job.legacyId,
          job.createdAt,
          job.finishedAt,
          job.legacyStatus,
          job.legacyData,
        ],
      );
      if (inserted.length === 0) {
        const [row] = await queryRows<{ imported: boolean; legacy_id: string | null }>(
          tx,
          'SELECT imported, legacy_id FROM jobs WHERE id = $1',
          [job.id],
        );
        if (!row?.imported) throw new LegacyImportError('job.jobspec_id', `job ${job.id} already exists and was not imported`);
        if (row.legacy_id !== job.legacyId) {
          throw new LegacyImportError('job.id', `job ${job.id} was imported from legacy job ${row.legacy_id}, not ${job.legacyId}`);
        }
      }
      let imported = 0;
      for (let from = 0; from < total; from += IMPORT_CHUNK) {
        imported += await storeChunk(tx, job.id, rows.executionRows(from, from + IMPORT_CHUNK), this.labelOf);
        onProgress?.(Math.min(from + IMPORT_CHUNK, total), total);
      }
      return { jobId: job.id, jobCreated: inserted.length > 0, imported, alreadyPresent: total - imported };
    });
  }
}

/**
 * Inserts one chunk of executions (those already imported are skipped by the legacy key) and one attempt for each
 * execution inserted, two statements in all. Returns how many executions were inserted.
 */
async function storeChunk(
  tx: EntityManager,
  jobId: string,
  rows: readonly LegacyExecutionRow[],
  labelOf: ResponseLabeller,
): Promise<number> {
  const col = <T>(f: (r: LegacyExecutionRow) => T) => rows.map(f);
  const labels = rows.map((r) => (r.state === 'succeeded' ? labelOf({ content: r.response, finishReason: null }) : null));
  const inserted = await queryRows<{ id: string; legacy_id: string }>(
    tx,
    `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, attempts, failures, max_attempts,
                             trace_id, result_attempt, response, classification, classification_rule, created_at, updated_at, started_at,
                             finished_at, run_after, imported, legacy_id, legacy_question_id, legacy_status, legacy_data)
     SELECT $1, u.question_id, u.model_id, u.region, 0, u.state, 1, CASE WHEN u.state = ${CELL_SQL.failed} THEN 1 ELSE 0 END, 1,
            u.trace_id, CASE WHEN u.state = ${CELL_SQL.succeeded} THEN 1 END, u.response, u.classification, u.classification_rule,
            u.created_at, u.finished_at,
            u.started_at, u.finished_at, u.created_at, true, u.legacy_id, u.legacy_question_id, u.legacy_status, u.legacy_data::jsonb
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
                   $10::timestamptz[], $11::timestamptz[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[])
         AS u(question_id, model_id, region, state, trace_id, response, classification, created_at, started_at, finished_at,
              legacy_id, legacy_question_id, legacy_status, legacy_data, classification_rule)
     ON CONFLICT (job_id, legacy_id) WHERE imported DO NOTHING
     RETURNING id, legacy_id`,
    [
      jobId,
      col((r) => r.questionId),
      col((r) => r.modelId),
      col((r) => r.region),
      col((r) => r.state),
      col((r) => r.traceId),
      col((r) => r.response),
      labels.map((l) => l?.label ?? null),
      col((r) => r.createdAt.toISOString()),
      col((r) => r.startedAt.toISOString()),
      col((r) => r.finishedAt.toISOString()),
      col((r) => r.legacyId),
      col((r) => r.legacyQuestionId),
      col((r) => r.legacyStatus),
      col((r) => r.legacyData),
      labels.map((l) => l?.rule ?? null),
    ],
  );
  if (inserted.length === 0) return 0;
  // Attempts only for the executions this chunk inserted, matched back by the legacy id the insert returned. They are
  // flagged imported: their times are the export's, which may end before they start (the time-order check exempts them).
  // The export's ids are numbers; the driver returns bigint as text.
  const byLegacyId = new Map(rows.map((row, i) => [String(row.legacyId), { row, label: labels[i] ?? null }]));
  const attempts = inserted.map(({ id, legacy_id }) => ({ executionId: id, ...byLegacyId.get(legacy_id)! }));
  const att = <T>(f: (a: (typeof attempts)[number]) => T) => attempts.map(f);
  const attemptIds = await queryRows<{ id: string; execution_id: string }>(
    tx,
    `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                     system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, response, trace_id, imported)
     SELECT u.execution_id, $1, 1, u.runner_id, u.lease_token, u.started_at, u.ended_at, u.outcome, u.system_prompt,
            u.user_prompt, u.parameters::jsonb, u.prompt_hash, u.parameters_hash, u.response, u.trace_id, true
       FROM unnest($2::bigint[], $3::text[], $4::uuid[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
         AS u(execution_id, runner_id, lease_token, started_at, ended_at, outcome, system_prompt, user_prompt, parameters,
              prompt_hash, parameters_hash, response, trace_id)
     RETURNING id, execution_id`,
    [
      jobId,
      att((a) => a.executionId),
      att((a) => a.row.attempt.runnerId),
      att((a) => a.row.attempt.leaseToken),
      att((a) => a.row.startedAt.toISOString()),
      att((a) => a.row.finishedAt.toISOString()),
      att((a) => a.row.attempt.outcome),
      att((a) => a.row.attempt.systemPrompt),
      att((a) => a.row.attempt.userPrompt),
      att((a) => a.row.attempt.parameters),
      att((a) => a.row.attempt.promptHash),
      att((a) => a.row.attempt.parametersHash),
      att((a) => a.row.response),
      att((a) => a.row.traceId),
    ],
  );
  // The labels: the Go runner's own (version `imported`, no rule: it is the source's word) and Beacon's, which is the
  // current label (executions.classification above).
  const attemptOf = new Map(attemptIds.map((a) => [a.execution_id, a.id]));
  const records = attempts.flatMap((a) => [
    ...(a.row.classification !== null
      ? [{ executionId: a.executionId, version: 'imported', label: a.row.classification, confidence: null, tier: null, rule: null }]
      : []),
    ...(a.label
      ? [
          {
            executionId: a.executionId,
            version: a.label.version,
            label: a.label.label,
            confidence: a.label.confidence,
            tier: a.label.tier,
            rule: a.label.rule,
          },
        ]
      : []),
  ]);
  if (records.length > 0) {
    const rec = <T>(f: (r: (typeof records)[number]) => T) => records.map(f);
    await queryRows(
      tx,
      `INSERT INTO classifications (execution_id, attempt_id, classifier_version, label, confidence, tier, rule)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::real[], $6::text[], $7::text[])`,
      [
        rec((r) => r.executionId),
        rec((r) => attemptOf.get(r.executionId) ?? null),
        rec((r) => r.version),
        rec((r) => r.label),
        rec((r) => r.confidence),
        rec((r) => r.tier),
        rec((r) => r.rule),
      ],
    );
  }
  return inserted.length;
}
