import {
  encodeTimelineCursor,
  errorLine,
  specAxes,
  timelineLane,
  type TimelineAttemptView,
  type TimelineCursor,
  type TimelineLaneRow,
  type TimelineView,
} from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { queryRows } from './query.js';
import { parseCellState, parseOutcome } from './status-sql.js';
import { ReadRepository } from './read.repository.js';
import type { AttemptColumns } from './row-columns.js';

/** Window and filters of a timeline read. */
export interface TimelineQuery {
  limit: number;
  cursor: TimelineCursor | null;
  region?: string;
  modelId?: string;
  questionId?: string;
}

/** The size and time span of a timeline (`from_at`, `to_at` null while the job has no attempt). */
interface SpanRow {
  total: number;
  from_at: Date | null;
  to_at: Date | null;
}

/** A cell of the window (one lane). */
interface LaneRow {
  id: string;
  question_id: string;
  model_id: string;
  region: string;
  variant: string;
  replicate: number;
  state: string;
  classification: string | null;
  imported: boolean;
  legacy_id: string | null;
  batch_question: boolean;
  superseded_by: string | null;
}

/** Another execution of an imported lane's cell. */
interface DuplicateRow {
  lane: string;
  id: string;
  started_at: Date | null;
}

/** The columns of `execution_attempts` a lane shows. */
interface LaneAttemptRow extends AttemptColumns {
  trace_id: string;
  prompt_hash: string;
}

const iso = (v: Date | null | undefined): string | null => (v == null ? null : v.toISOString());

/** Reads a job's timeline: one lane per cell, a page at a time, with the attempts and the facts behind the marks. */
export class TimelineRepository {
  private readonly read: ReadRepository;

  constructor(private readonly ds: DataSource) {
    this.read = new ReadRepository(ds);
  }

  /** One window of lanes, or null when the job does not exist. */
  async timeline(jobId: string, q: TimelineQuery): Promise<TimelineView | null> {
    const job = await this.read.getJob(jobId);
    if (!job) return null;
    const { spec, specReceived: _r, specHash: _h, traceId: _t, ...summary } = job;
    const filters = [jobId, q.region ?? null, q.modelId ?? null, q.questionId ?? null];
    const where = `e.job_id = $1 AND ($2::text IS NULL OR e.region = $2) AND ($3::text IS NULL OR e.model_id = $3)
                   AND ($4::text IS NULL OR e.question_id = $4)`;
    // The span holds every attempt's start and end, also of an imported attempt that ends before it starts.
    const [span] = await queryRows<SpanRow>(
      this.ds,
      `SELECT (SELECT count(*)::int FROM executions e WHERE ${where}) AS total,
              (SELECT least(min(started_at), min(ended_at)) FROM execution_attempts WHERE job_id = $1) AS from_at,
              (SELECT greatest(max(coalesce(ended_at, greatest(now(), started_at))), max(started_at))
                 FROM execution_attempts WHERE job_id = $1) AS to_at`,
      filters,
    );
    const c = q.cursor;
    const rows = await queryRows<LaneRow>(
      this.ds,
      `SELECT e.id, e.question_id, e.model_id, e.region, e.variant, e.replicate, e.state, e.classification, e.imported, e.legacy_id,
              (e.imported AND e.legacy_question_id IS NULL) AS batch_question, e.superseded_by
         FROM executions e
        WHERE ${where} AND ($5::text IS NULL OR (e.region, e.model_id, e.question_id, e.replicate, e.id) > ($5, $6, $7, $8::int, $9::bigint))
        ORDER BY e.region, e.model_id, e.question_id, e.replicate, e.id
        LIMIT $10`,
      [...filters, c?.[0] ?? null, c?.[1] ?? null, c?.[2] ?? null, c?.[3] ?? null, c?.[4] ?? null, q.limit + 1],
    );
    const page = rows.slice(0, q.limit);
    const lanes = await this.lanes(page, spec);
    const last = page[page.length - 1];
    return {
      job: summary,
      from: iso(span?.from_at),
      to: iso(span?.to_at),
      totalLanes: span?.total ?? 0,
      lanes,
      nextCursor:
        rows.length > q.limit && last
          ? encodeTimelineCursor([last.region, last.model_id, last.question_id, last.replicate, last.id])
          : null,
    };
  }

  private async lanes(page: LaneRow[], spec: unknown): Promise<TimelineView['lanes']> {
    if (page.length === 0) return [];
    const ids = page.map((r) => r.id);
    // Duplicates exist only among imported rows (planned cells are unique), so only those are looked up.
    const imported = page.filter((r) => r.imported).map((r) => r.id);
    const dups =
      imported.length === 0
        ? []
        : await queryRows<DuplicateRow>(
            this.ds,
            `SELECT e.id AS lane, x.id, x.started_at
         FROM executions e
         JOIN executions x ON x.job_id = e.job_id AND x.id <> e.id AND x.question_id = e.question_id
                          AND x.model_id = e.model_id AND x.region = e.region AND x.variant = e.variant AND x.replicate = e.replicate
        WHERE e.id = ANY($1::bigint[])
        ORDER BY x.id`,
            [imported],
          );
    const attemptRows = await queryRows<LaneAttemptRow>(
      this.ds,
      `SELECT id, execution_id, attempt, runner_id, started_at, ended_at, outcome, http_status, error, latency_ms,
              input_tokens, output_tokens, trace_id, prompt_hash
         FROM execution_attempts WHERE execution_id = ANY($1::bigint[])
        ORDER BY execution_id, attempt, id`,
      [[...ids, ...dups.map((d) => d.id)]],
    );
    const attempts = new Map<string, TimelineAttemptView[]>();
    for (const a of attemptRows) {
      const list = attempts.get(a.execution_id) ?? [];
      list.push({
        id: a.id,
        attempt: a.attempt,
        runnerId: a.runner_id,
        startedAt: a.started_at.toISOString(),
        endedAt: iso(a.ended_at),
        outcome: parseOutcome(a.outcome),
        httpStatus: a.http_status,
        error: errorLine(a.error),
        latencyMs: a.latency_ms,
        inputTokens: a.input_tokens,
        outputTokens: a.output_tokens,
        traceId: a.trace_id,
        promptHash: a.prompt_hash,
      });
      attempts.set(a.execution_id, list);
    }
    const axes = specAxes(spec);
    return page.map((r) => {
      const id = r.id;
      const mine = dups.filter((d) => d.lane === id);
      const starts = mine.flatMap((d) => (d.started_at === null ? [] : [d.started_at.getTime()]));
      const row: TimelineLaneRow = {
        executionId: id,
        questionId: r.question_id,
        modelId: r.model_id,
        region: r.region,
        variant: r.variant,
        replicate: r.replicate,
        state: parseCellState(r.state),
        classification: r.classification,
        imported: r.imported,
        legacyId: r.legacy_id,
        batchQuestion: r.batch_question,
        supersededBy: r.superseded_by,
        duplicateOf: mine.map((d) => d.id),
        duplicatePromptHashes: mine.flatMap((d) => (attempts.get(d.id) ?? []).map((a) => a.promptHash)),
        duplicatesFirstStart: starts.length ? new Date(Math.min(...starts)).toISOString() : null,
      };
      return timelineLane(row, attempts.get(id) ?? [], axes);
    });
  }
}
