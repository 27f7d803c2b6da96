import {
  DUPLICATE_FINDING_RULES,
  type AttemptView,
  type ExecutionDetailView,
  type ExecutionView,
  type JobDetailView,
  type ExecutionState,
  type JobStatus,
  type JobSummaryView,
  type Page,
} from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { queryRows } from './query.js';
import { CELL_SQL, OUTCOME_SQL, parseCellState, parseJobStatus, parseOutcome, TERMINAL_CELL_STATES_SQL } from './status-sql.js';
import { cellIdentity, type AttemptColumns, type CellKeyColumns } from './row-columns.js';

/** Filters of the executions listing. */
export interface ExecutionFilter {
  jobId?: string;
  region?: string;
  modelId?: string;
  questionId?: string;
  /** A variant id; `''` the default variant. */
  variant?: string;
  state?: string;
  /** Only cells without any attempt (no call was ever started for them): planned and not yet run, or ended unrun. */
  neverRun?: boolean;
}

// Open findings are counted here, on the partial index of open findings by job, so that a listing's counts stay
// exact however many findings there are (the rule ids are constants without quotes, inlined as literals).
const JOB_COLUMNS = `j.id, j.seq, j.status, j.format, j.spec->'benchmark'->>'name' AS benchmark, j.cells_expected,
  j.submitter, j.created_at, j.updated_at, j.started_at, j.finished_at, j.cancel_requested_at,
  j.paused_at,
  (SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb)
     FROM (SELECT state, count(*)::int AS n FROM executions e WHERE e.job_id = j.id GROUP BY state) s) AS by_state,
  (SELECT jsonb_build_object('open', count(*),
            'duplicates', coalesce(sum(CASE WHEN jsonb_typeof(f.evidence->'count') = 'number'
                                            THEN (f.evidence->>'count')::numeric ELSE 2 END - 1)
                                   FILTER (WHERE f.rule_id IN (${DUPLICATE_FINDING_RULES.map((r) => `'${r}'`).join(', ')})), 0))
     FROM reconciler_findings f WHERE f.job_id = j.id AND f.resolved_at IS NULL) AS findings`;

/** What a job listing may be narrowed to; each absent field narrows nothing. */
export interface JobListFilter {
  status?: string;
  /** Part of the benchmark's name, any case. */
  benchmark?: string;
  /** First and last UTC day of creation (`YYYY-MM-DD`), both included. */
  from?: string;
  to?: string;
  /** The schedule whose runs to list. */
  schedule?: string;
}

/** A row of {@link JOB_COLUMNS} (jsonb columns parsed; the times inside jsonb are text). */
interface JobSummaryRow {
  id: string;
  seq: string;
  status: string;
  format: string;
  benchmark: string | null;
  cells_expected: number;
  submitter: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  cancel_requested_at: Date | null;
  paused_at: Date | null;
  by_state: Partial<Record<ExecutionState, number>>;
  findings: { open: number; duplicates: number };
}

/** {@link JOB_COLUMNS} with the job's spec and its parked cells. */
interface JobDetailRow extends JobSummaryRow {
  spec: unknown;
  spec_received: string;
  spec_hash: string;
  trace_id: string | null;
  waiting: { cells: number; next: string | null; last: string | null };
  max_cost_usd: string | null;
  budget_exhausted_at: Date | null;
  deadline_exceeded_at: Date | null;
  cost: { usd: number | null; priced: number; unknown: number };
}

/** The columns of `executions` a view shows. */
interface ExecutionRow extends CellKeyColumns {
  state: string;
  attempts: number;
  failures: number;
  max_attempts: number;
  run_after: Date;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  trace_id: string;
  classification: string | null;
  classification_rule: string | null;
  response: string | null;
  finish_reason: string | null;
  last_error: unknown;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  /** The open attempt's start (a call in flight) and its age on the database clock; absent where not selected. */
  call_started_at?: Date | null;
  call_age_ms?: number | null;
}

/**
 * The call in flight of `executions e`, as columns: its open attempt's start and age, measured on the database clock
 * (the reader's clock may differ). At most one attempt of a cell is open while its lease holds.
 */
const OPEN_CALL_COLUMNS = `oc.started_at AS call_started_at,
            (extract(epoch FROM now() - oc.started_at) * 1000)::float8 AS call_age_ms`;
const OPEN_CALL_JOIN = `LEFT JOIN LATERAL (
              SELECT a.started_at FROM execution_attempts a
               WHERE a.execution_id = e.id AND a.outcome IS NULL AND e.state = ${CELL_SQL.running}
               ORDER BY a.attempt DESC LIMIT 1) oc ON true`;

/** The columns of `execution_attempts` a view shows. */
interface AttemptRow extends AttemptColumns {
  endpoint: string | null;
  system_prompt: string;
  user_prompt: string;
  parameters: unknown;
  prompt_hash: string;
  parameters_hash: string;
  response: string | null;
  finish_reason: string | null;
  trace_id: string;
  span_id: string | null;
  storage_note: string | null;
  cost_usd: string | null;
  provider_kind: string | null;
  served_region: string | null;
  region_observed: string | null;
}

/** Queries behind the read API; every listing pages by a stable key (job seq, execution id). */
export class ReadRepository {
  constructor(private readonly ds: DataSource) {}

  /** Jobs, newest first. */
  async listJobs(limit: number, cursor: string | null, filter: JobListFilter = {}): Promise<Page<JobSummaryView>> {
    // Dates are whole UTC days, both ends included; the benchmark matches anywhere in its name, ignoring case.
    const rows = await queryRows<JobSummaryRow>(
      this.ds,
      `SELECT ${JOB_COLUMNS} FROM jobs j
        WHERE ($2::bigint IS NULL OR j.seq < $2::bigint)
          AND ($3::text IS NULL OR j.status = $3)
          AND ($4::text IS NULL OR position(lower($4) IN lower(coalesce(j.spec->'benchmark'->>'name', ''))) > 0)
          AND ($5::date IS NULL OR j.created_at >= ($5::date)::timestamp AT TIME ZONE 'UTC')
          AND ($6::date IS NULL OR j.created_at < ($6::date + 1)::timestamp AT TIME ZONE 'UTC')
          AND ($7::text IS NULL OR j.schedule_id = $7)
        ORDER BY j.seq DESC LIMIT $1`,
      [limit + 1, cursor, filter.status ?? null, filter.benchmark ?? null, filter.from ?? null, filter.to ?? null, filter.schedule ?? null],
    );
    return page(rows, limit, (r) => r.seq, jobSummary);
  }

  /** One job with counts by state, or null. */
  async getJob(id: string): Promise<JobDetailView | null> {
    const [row] = await queryRows<JobDetailRow>(
      this.ds,
      `SELECT ${JOB_COLUMNS}, j.spec, j.spec_received, j.spec_hash, j.trace_id,
              (SELECT jsonb_build_object('cells', count(*), 'next', min(e.run_after), 'last', max(e.run_after))
                 FROM executions e WHERE e.job_id = j.id AND e.state = ${CELL_SQL.pending} AND e.run_after > now()) AS waiting,
              j.max_cost_usd, j.budget_exhausted_at, j.deadline_exceeded_at,
              (SELECT jsonb_build_object('usd', sum(a.cost_usd), 'priced', count(a.cost_usd),
                        'unknown', count(*) FILTER (WHERE a.cost_usd IS NULL
                          AND (a.outcome = ${OUTCOME_SQL.succeeded} OR a.input_tokens IS NOT NULL OR a.output_tokens IS NOT NULL)))
                 FROM execution_attempts a WHERE a.job_id = j.id) AS cost
         FROM jobs j WHERE j.id = $1`,
      [id],
    );
    if (!row) return null;
    return {
      ...jobSummary(row),
      spec: row.spec,
      specReceived: row.spec_received,
      specHash: row.spec_hash,
      traceId: row.trace_id,
      waiting: waitingView(row.waiting),
      cost: {
        usd: row.cost.usd === null ? null : Number(row.cost.usd),
        pricedCalls: row.cost.priced,
        unknownCalls: row.cost.unknown,
        maxUsd: row.max_cost_usd === null ? null : Number(row.max_cost_usd),
        budgetExhaustedAt: iso(row.budget_exhausted_at),
      },
      deadlineExceededAt: iso(row.deadline_exceeded_at),
    };
  }

  /** Executions in id order (the order they were planned), filtered. */
  async listExecutions(filter: ExecutionFilter, limit: number, cursor: string | null): Promise<Page<ExecutionView>> {
    const rows = await queryRows<ExecutionRow>(
      this.ds,
      `SELECT e.*, ${OPEN_CALL_COLUMNS}
         FROM executions e
         ${OPEN_CALL_JOIN}
        WHERE ($1::text IS NULL OR e.job_id = $1) AND ($2::text IS NULL OR e.region = $2)
          AND ($3::text IS NULL OR e.model_id = $3) AND ($4::text IS NULL OR e.question_id = $4)
          AND ($5::text IS NULL OR e.state = $5) AND ($6::bigint IS NULL OR e.id > $6::bigint)
          AND ($8::text IS NULL OR e.variant = $8)
          AND (NOT $9::boolean OR NOT EXISTS (SELECT 1 FROM execution_attempts a WHERE a.execution_id = e.id))
        ORDER BY e.id LIMIT $7`,
      [
        filter.jobId ?? null,
        filter.region ?? null,
        filter.modelId ?? null,
        filter.questionId ?? null,
        filter.state ?? null,
        cursor,
        limit + 1,
        filter.variant ?? null,
        filter.neverRun === true,
      ],
    );
    return page(rows, limit, (r) => r.id, executionView);
  }

  /** One execution with every attempt, oldest first, or null. */
  async getExecution(id: string): Promise<ExecutionDetailView | null> {
    const [row] = await queryRows<ExecutionRow>(this.ds, 'SELECT * FROM executions WHERE id = $1', [id]);
    if (!row) return null;
    const attempts = await queryRows<AttemptRow>(this.ds, 'SELECT * FROM execution_attempts WHERE execution_id = $1 ORDER BY attempt, id', [
      id,
    ]);
    return { ...executionView(row), attemptsLog: attempts.map(attemptView) };
  }

  /** True when the job exists. */
  async jobExists(id: string): Promise<boolean> {
    const rows = await queryRows<{ '?column?': number }>(this.ds, 'SELECT 1 FROM jobs WHERE id = $1', [id]);
    return rows.length > 0;
  }

  /** Runnable pending cells by region (regions with none are absent), and the age of the oldest in seconds. */
  async runnableQueue(): Promise<{ region: string; depth: number; oldestAgeSeconds: number }[]> {
    const rows = await queryRows<{ region: string; depth: number; age: number }>(
      this.ds,
      `SELECT region, count(*)::int AS depth, extract(epoch FROM now() - min(run_after))::float8 AS age
         FROM executions WHERE state = ${CELL_SQL.pending} AND run_after <= now() GROUP BY region`,
    );
    return rows.map((r) => ({ region: r.region, depth: r.depth, oldestAgeSeconds: Math.max(0, r.age) }));
  }

  /** How many jobs have each status (statuses with none are absent). */
  async jobCountsByStatus(): Promise<Map<JobStatus, number>> {
    const rows = await queryRows<{ status: string; n: number }>(this.ds, 'SELECT status, count(*)::int AS n FROM jobs GROUP BY status');
    return new Map(rows.map((r) => [parseJobStatus(r.status), r.n]));
  }

  /**
   * The exactly-once facts of one job, from its rows: cells, how many are terminal, succeeded with exactly one
   * succeeded attempt, with more than one succeeded attempt, and the calls made.
   */
  async exactlyOnceFacts(jobId: string): Promise<ExactlyOnceFacts> {
    const [row] = await queryRows<{ cells: number; terminal: number; with_result: number; duplicate_results: number; attempts: number }>(
      this.ds,
      `SELECT count(*)::int AS cells,
              count(*) FILTER (WHERE e.state IN ${TERMINAL_CELL_STATES_SQL})::int AS terminal,
              count(*) FILTER (WHERE e.state = ${CELL_SQL.succeeded} AND s.n = 1)::int AS with_result,
              count(*) FILTER (WHERE s.n > 1)::int AS duplicate_results,
              coalesce(sum(s.calls), 0)::int AS attempts
         FROM executions e
         CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE outcome = ${OUTCOME_SQL.succeeded}) AS n, count(*) AS calls
                               FROM execution_attempts a WHERE a.execution_id = e.id) s
        WHERE e.job_id = $1`,
      [jobId],
    );
    const r = row!; // an aggregate without GROUP BY: always one row
    return { cells: r.cells, terminal: r.terminal, withResult: r.with_result, duplicateResults: r.duplicate_results, attempts: r.attempts };
  }
}

/** {@link ReadRepository.exactlyOnceFacts}. */
export interface ExactlyOnceFacts {
  cells: number;
  terminal: number;
  withResult: number;
  duplicateResults: number;
  attempts: number;
}

function page<R, T>(rows: R[], limit: number, key: (r: R) => string, view: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items: items.map(view), nextCursor: more ? key(items[items.length - 1]!) : null };
}

function iso(v: Date | null): string | null {
  return v === null ? null : v.toISOString();
}

/** A time inside jsonb (`to_json` text with an offset), as ISO text. */
function jsonTime(v: string | null): string | null {
  return v === null ? null : new Date(v).toISOString();
}

/** Parked cells of a job (pending, not due yet). */
function waitingView(w: JobDetailRow['waiting']): JobDetailView['waiting'] {
  return { cells: w.cells, nextAt: jsonTime(w.next), lastAt: jsonTime(w.last) };
}

function jobSummary(r: JobSummaryRow): JobSummaryView {
  return {
    id: r.id,
    status: parseJobStatus(r.status),
    format: r.format,
    benchmark: r.benchmark ?? '',
    cells: {
      expected: r.cells_expected,
      actual: Object.values(r.by_state).reduce((a, b) => a + (b ?? 0), 0),
      byState: r.by_state,
    },
    findings: { open: r.findings.open, duplicates: r.findings.duplicates },
    submitter: r.submitter,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    cancelRequestedAt: iso(r.cancel_requested_at),
    pausedAt: iso(r.paused_at),
  };
}

function executionView(r: ExecutionRow): ExecutionView {
  return {
    ...cellIdentity(r),
    state: parseCellState(r.state),
    attempts: r.attempts,
    failures: r.failures,
    maxAttempts: r.max_attempts,
    runAfter: r.run_after.toISOString(),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: iso(r.lease_expires_at),
    traceId: r.trace_id,
    classification: r.classification,
    classificationRule: r.classification_rule,
    response: r.response,
    finishReason: r.finish_reason,
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    ...(r.call_started_at === undefined
      ? {}
      : { callStartedAt: iso(r.call_started_at ?? null), callAgeMs: r.call_age_ms == null ? null : Math.round(r.call_age_ms) }),
  };
}

function attemptView(r: AttemptRow): AttemptView {
  return {
    id: r.id,
    executionId: r.execution_id,
    attempt: r.attempt,
    runnerId: r.runner_id,
    startedAt: r.started_at.toISOString(),
    endedAt: iso(r.ended_at),
    outcome: parseOutcome(r.outcome),
    httpStatus: r.http_status,
    error: r.error,
    latencyMs: r.latency_ms,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    endpoint: r.endpoint,
    systemPrompt: r.system_prompt,
    userPrompt: r.user_prompt,
    parameters: r.parameters,
    promptHash: r.prompt_hash,
    parametersHash: r.parameters_hash,
    response: r.response,
    finishReason: r.finish_reason,
    traceId: r.trace_id,
    spanId: r.span_id,
    storageNote: r.storage_note,
    costUsd: r.cost_usd === null || r.cost_usd === undefined ? null : Number(r.cost_usd),
    providerKind: r.provider_kind ?? null,
    servedRegion: r.served_region ?? null,
    regionObserved: r.region_observed ?? null,
  };
}
