import {
  encodeTimelineCursor, errorLine, specAxes, timelineLane, type JobSummaryView, type TimelineAttemptView,
  type TimelineCursor, type TimelineLaneRow, type TimelineView,
} from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { query } from './query.js';
import { parseCellState, parseOutcome } from './status-sql.js';
import { ReadRepository } from './read.repository.js';

/** Window and filters of a timeline read. */
export interface TimelineQuery {
  limit: number;
  cursor: TimelineCursor | null;
  region?: string;
  modelId?: string;
  questionId?: string;
}

type Row = Record<string, unknown>;

const iso = (v: unknown): string | null => (v == null ? null : new Date(v as string).toISOString());
const num = (v: unknown): number | null => (v == null ? null : Number(v));

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
    const [span]: Row[] = await query(this.ds,
      `SELECT (SELECT count(*)::int FROM executions e WHERE ${where}) AS total,
              (SELECT min(started_at) FROM execution_attempts WHERE job_id = $1) AS from_at,
              (SELECT max(coalesce(ended_at, greatest(now(), started_at))) FROM execution_attempts WHERE job_id = $1) AS to_at`, filters);
    const c = q.cursor;
    const rows: Row[] = await query(this.ds,
      `SELECT e.id, e.question_id, e.model_id, e.region, e.replicate, e.state, e.classification, e.imported, e.legacy_id,
              (e.imported AND e.legacy_question_id IS NULL) AS batch_question, e.superseded_by
         FROM executions e
        WHERE ${where} AND ($5::text IS NULL OR (e.region, e.model_id, e.question_id, e.replicate, e.id) > ($5, $6, $7, $8::int, $9::bigint))
        ORDER BY e.region, e.model_id, e.question_id, e.replicate, e.id
        LIMIT $10`,
      [...filters, c?.[0] ?? null, c?.[1] ?? null, c?.[2] ?? null, c?.[3] ?? null, c?.[4] ?? null, q.limit + 1]);
    const page = rows.slice(0, q.limit);
    const lanes = await this.lanes(page, spec);
    const last = page[page.length - 1];
    return {
      job: summary as JobSummaryView,
      from: iso(span?.from_at),
      to: iso(span?.to_at),
      totalLanes: Number(span?.total ?? 0),
      lanes,
      nextCursor: rows.length > q.limit && last
        ? encodeTimelineCursor([String(last.region), String(last.model_id), String(last.question_id), Number(last.replicate), String(last.id)])
        : null,
    };
  }

  private async lanes(page: Row[], spec: unknown): Promise<TimelineView['lanes']> {
    if (page.length === 0) return [];
    const ids = page.map((r) => String(r.id));
    // Duplicates exist only among imported rows (planned cells are unique), so only those are looked up.
    const imported = page.filter((r) => r.imported).map((r) => String(r.id));
    const dups: Row[] = imported.length === 0 ? [] : await query(this.ds,
      `SELECT e.id AS lane, x.id, x.started_at
         FROM executions e
         JOIN executions x ON x.job_id = e.job_id AND x.id <> e.id AND x.question_id = e.question_id
                          AND x.model_id = e.model_id AND x.region = e.region AND x.replicate = e.replicate
        WHERE e.id = ANY($1::bigint[])
        ORDER BY x.id`, [imported]);
    const attemptRows: Row[] = await query(this.ds,
      `SELECT id, execution_id, attempt, runner_id, started_at, ended_at, outcome, http_status, error, latency_ms,
              input_tokens, output_tokens, trace_id, prompt_hash
         FROM execution_attempts WHERE execution_id = ANY($1::bigint[])
        ORDER BY execution_id, attempt, id`, [[...ids, ...dups.map((d) => String(d.id))]]);
    const attempts = new Map<string, TimelineAttemptView[]>();
    for (const a of attemptRows) {
      const list = attempts.get(String(a.execution_id)) ?? [];
      list.push({
        id: String(a.id), attempt: Number(a.attempt), runnerId: String(a.runner_id), startedAt: iso(a.started_at)!,
        endedAt: iso(a.ended_at), outcome: parseOutcome(a.outcome), httpStatus: num(a.http_status),
        error: errorLine(a.error), latencyMs: num(a.latency_ms), inputTokens: num(a.input_tokens), outputTokens: num(a.output_tokens),
        traceId: String(a.trace_id), promptHash: String(a.prompt_hash),
      });
      attempts.set(String(a.execution_id), list);
    }
    const axes = specAxes(spec);
    return page.map((r) => {
      const id = String(r.id);
      const mine = dups.filter((d) => String(d.lane) === id);
      const starts = mine.map((d) => d.started_at).filter((v) => v != null).map((v) => Date.parse(iso(v)!));
      const row: TimelineLaneRow = {
        executionId: id, questionId: String(r.question_id), modelId: String(r.model_id), region: String(r.region),
        replicate: Number(r.replicate), state: parseCellState(r.state), classification: (r.classification as string | null) ?? null,
        imported: Boolean(r.imported), legacyId: r.legacy_id == null ? null : String(r.legacy_id),
        batchQuestion: Boolean(r.batch_question), supersededBy: r.superseded_by == null ? null : String(r.superseded_by),
        duplicateOf: mine.map((d) => String(d.id)),
        duplicatePromptHashes: mine.flatMap((d) => (attempts.get(String(d.id)) ?? []).map((a) => a.promptHash)),
        duplicatesFirstStart: starts.length ? new Date(Math.min(...starts)).toISOString() : null,
      };
      return timelineLane(row, attempts.get(id) ?? [], axes);
    });
  }
}
