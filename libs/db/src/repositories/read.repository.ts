import {
  DUPLICATE_FINDING_RULES, type AttemptView, type ExecutionDetailView, type ExecutionView, type JobDetailView,
  type JobFindingCounts, type JobSummaryView, type Page,
} from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { query } from './query.js';
import { CELL_SQL, parseCellState, parseJobStatus, parseOutcome } from './status-sql.js';

/** Filters of the executions listing. */
export interface ExecutionFilter {
  jobId?: string;
  region?: string;
  modelId?: string;
  questionId?: string;
  state?: string;
}

type Row = Record<string, unknown>;

// Open findings are counted here, on the partial index of open findings by job, so that a listing's counts stay
// exact however many findings there are (the rule ids are constants without quotes, inlined as literals).
const JOB_COLUMNS = `j.id, j.seq, j.status, j.format, j.spec->'benchmark'->>'name' AS benchmark, j.cells_expected,
  j.submitter, j.created_at, j.updated_at, j.started_at, j.finished_at, j.cancel_requested_at,
  (SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb)
     FROM (SELECT state, count(*)::int AS n FROM executions e WHERE e.job_id = j.id GROUP BY state) s) AS by_state,
  (SELECT jsonb_build_object('open', count(*),
            'duplicates', coalesce(sum(CASE WHEN jsonb_typeof(f.evidence->'count') = 'number'
                                            THEN (f.evidence->>'count')::numeric ELSE 2 END - 1)
                                   FILTER (WHERE f.rule_id IN (${DUPLICATE_FINDING_RULES.map((r) => `'${r}'`).join(', ')})), 0))
     FROM reconciler_findings f WHERE f.job_id = j.id AND f.resolved_at IS NULL) AS findings`;

/** Queries behind the read API; every listing pages by a stable key (job seq, execution id). */
export class ReadRepository {
  constructor(private readonly ds: DataSource) {}

  /** Jobs, newest first. */
  async listJobs(limit: number, cursor: string | null): Promise<Page<JobSummaryView>> {
    const rows: Row[] = await query(this.ds, 
      `SELECT ${JOB_COLUMNS} FROM jobs j
        WHERE ($2::bigint IS NULL OR j.seq < $2::bigint)
        ORDER BY j.seq DESC LIMIT $1`,
      [limit + 1, cursor],
    );
    return page(rows, limit, (r) => String(r.seq), jobSummary);
  }

  /** One job with counts by state, or null. */
  async getJob(id: string): Promise<JobDetailView | null> {
    const [row]: Row[] = await query(this.ds, 
      `SELECT ${JOB_COLUMNS}, j.spec, j.spec_received, j.spec_hash, j.trace_id,
              (SELECT jsonb_build_object('cells', count(*), 'next', min(e.run_after), 'last', max(e.run_after))
                 FROM executions e WHERE e.job_id = j.id AND e.state = ${CELL_SQL.pending} AND e.run_after > now()) AS waiting
         FROM jobs j WHERE j.id = $1`, [id]);
    if (!row) return null;
    return {
      ...jobSummary(row),
      spec: row.spec,
      specReceived: String(row.spec_received),
      specHash: String(row.spec_hash),
      traceId: (row.trace_id as string | null) ?? null,
      waiting: waitingView(row.waiting),
    };
  }

  /** Executions in id order (the order they were planned), filtered. */
  async listExecutions(filter: ExecutionFilter, limit: number, cursor: string | null): Promise<Page<ExecutionView>> {
    const rows: Row[] = await query(this.ds, 
      `SELECT * FROM executions
        WHERE ($1::text IS NULL OR job_id = $1) AND ($2::text IS NULL OR region = $2)
          AND ($3::text IS NULL OR model_id = $3) AND ($4::text IS NULL OR question_id = $4)
          AND ($5::text IS NULL OR state = $5) AND ($6::bigint IS NULL OR id > $6::bigint)
        ORDER BY id LIMIT $7`,
      [filter.jobId ?? null, filter.region ?? null, filter.modelId ?? null, filter.questionId ?? null,
        filter.state ?? null, cursor, limit + 1],
    );
    return page(rows, limit, (r) => String(r.id), executionView);
  }

  /** One execution with every attempt, oldest first, or null. */
  async getExecution(id: string): Promise<ExecutionDetailView | null> {
    const [row]: Row[] = await query(this.ds, 'SELECT * FROM executions WHERE id = $1', [id]);
    if (!row) return null;
    const attempts: Row[] = await query(this.ds, 
      'SELECT * FROM execution_attempts WHERE execution_id = $1 ORDER BY attempt, id', [id]);
    return { ...executionView(row), attemptsLog: attempts.map(attemptView) };
  }

  /** True when the job exists. */
  async jobExists(id: string): Promise<boolean> {
    const rows: Row[] = await query(this.ds, 'SELECT 1 FROM jobs WHERE id = $1', [id]);
    return rows.length > 0;
  }
}

function page<T>(rows: Row[], limit: number, key: (r: Row) => string, view: (r: Row) => T): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items: items.map(view), nextCursor: more ? key(items[items.length - 1]!) : null };
}

function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

/** Parked cells of a job (pending, not due yet). */
function waitingView(v: unknown): JobDetailView['waiting'] {
  const w = (v ?? {}) as { cells?: unknown; next?: unknown; last?: unknown };
  return { cells: Number(w.cells ?? 0), nextAt: iso(w.next), lastAt: iso(w.last) };
}

/** Open findings of a job and the surplus cell copies they report. */
function findingCounts(v: unknown): JobFindingCounts {
  const f = (v ?? {}) as { open?: unknown; duplicates?: unknown };
  return { open: Number(f.open ?? 0), duplicates: Number(f.duplicates ?? 0) };
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function jobSummary(r: Row): JobSummaryView {
  const byState = (r.by_state ?? {}) as JobSummaryView['cells']['byState'];
  return {
    id: String(r.id),
    status: parseJobStatus(r.status),
    format: String(r.format),
    benchmark: (r.benchmark as string | null) ?? '',
    cells: {
      expected: Number(r.cells_expected),
      actual: Object.values(byState).reduce((a, b) => a + (b ?? 0), 0),
      byState,
    },
    findings: findingCounts(r.findings),
    submitter: (r.submitter as string | null) ?? null,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    cancelRequestedAt: iso(r.cancel_requested_at),
  };
}

function executionView(r: Row): ExecutionView {
  return {
    id: String(r.id),
    jobId: String(r.job_id),
    questionId: String(r.question_id),
    modelId: String(r.model_id),
    region: String(r.region),
    replicate: Number(r.replicate),
    state: parseCellState(r.state),
    attempts: Number(r.attempts),
    failures: Number(r.failures),
    maxAttempts: Number(r.max_attempts),
    runAfter: iso(r.run_after)!,
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseExpiresAt: iso(r.lease_expires_at),
    traceId: String(r.trace_id),
    classification: (r.classification as string | null) ?? null,
    classificationRule: (r.classification_rule as string | null) ?? null,
    response: (r.response as string | null) ?? null,
    finishReason: (r.finish_reason as string | null) ?? null,
    lastError: r.last_error ?? null,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

function attemptView(r: Row): AttemptView {
  return {
    id: String(r.id),
    executionId: String(r.execution_id),
    attempt: Number(r.attempt),
    runnerId: String(r.runner_id),
    startedAt: iso(r.started_at)!,
    endedAt: iso(r.ended_at),
    outcome: parseOutcome(r.outcome),
    httpStatus: num(r.http_status),
    error: r.error ?? null,
    latencyMs: num(r.latency_ms),
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    endpoint: (r.endpoint as string | null) ?? null,
    systemPrompt: String(r.system_prompt),
    userPrompt: String(r.user_prompt),
    parameters: r.parameters,
    promptHash: String(r.prompt_hash),
    parametersHash: String(r.parameters_hash),
    response: (r.response as string | null) ?? null,
    finishReason: (r.finish_reason as string | null) ?? null,
    traceId: String(r.trace_id),
    spanId: (r.span_id as string | null) ?? null,
    storageNote: (r.storage_note as string | null) ?? null,
  };
}
