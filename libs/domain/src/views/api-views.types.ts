import type { Principal, Role } from '../auth/roles.js';
/** The shapes the runner API returns; shared by the daemon, the API client, the CLI and the TUI. */

import type { AttemptOutcome, CancelAnswerStatus, ExecutionState, JobStatus } from '../status/job-status.js';
import type { OverlapPolicy, ScheduleTickOutcome } from '../schedule/schedule.types.js';

/** Cell counts of a job, by execution state. */
export interface CellCounts {
  expected: number;
  actual: number;
  /** Only the states the job has cells in. */
  byState: Partial<Record<ExecutionState, number>>;
}

/** A job's open reconciler findings, counted by the database (exact however many there are). */
export interface JobFindingCounts {
  /** Open findings that name the job. */
  open: number;
  /**
   * Surplus copies of cells that the job's open duplicate findings report (`DUPLICATE_FINDING_RULES`): a cell run
   * three times counts 2; a finding without a numeric evidence `count` counts 1.
   */
  duplicates: number;
}

/** A job in listings. */
export interface JobSummaryView {
  id: string;
  status: JobStatus;
  format: string;
  benchmark: string;
  cells: CellCounts;
  findings: JobFindingCounts;
  submitter: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * When a cancel was requested (null if never). A job still `running` with this set is being cancelled: its running
   * calls stop at their runner's next heartbeat, and it becomes `cancelled` when the last one has.
   */
  cancelRequestedAt: string | null;
  /** When an operator paused the job (null when it is not paused): none of its cells is claimed until it is resumed. */
  pausedAt: string | null;
}

/** One job with its normalised spec and the spec exactly as received. */
export interface JobDetailView extends JobSummaryView {
  spec: unknown;
  specReceived: string;
  specHash: string;
  traceId: string | null;
  /**
   * Pending cells not due yet (a retry backoff, an upstream's Retry-After, an open breaker): how many, and the
   * earliest and latest time one falls due (null when none waits).
   */
  waiting: { cells: number; nextAt: string | null; lastAt: string | null };
  /** What the job's calls cost so far, in USD (see {@link JobCostView}). */
  cost: JobCostView;
  /** When the job passed its spec's deadline (`constraints.timeout`) and was stopped (it ends `cancelled`); null otherwise. */
  deadlineExceededAt: string | null;
}

/**
 * A job's cost so far. A call's cost is its tokens at the configuration's price of its model in its region, stored
 * with its attempt; a call whose cost is unknown (its model has no price there, or its provider reported no token
 * counts) is counted in `unknownCalls`, never as 0.
 */
export interface JobCostView {
  /** Sum of the known costs of its calls; null when no call of it has a known cost. A lower bound when `unknownCalls` > 0. */
  usd: number | null;
  /** Calls with a known cost. */
  pricedCalls: number;
  /** Calls that got an answer (or reported tokens) whose cost is unknown. */
  unknownCalls: number;
  /** The spec's `max_cost` in USD, or null for none. */
  maxUsd: number | null;
  /** When a claim found the job could not afford one more call (it then ends `budget_exhausted`); null otherwise. */
  budgetExhaustedAt: string | null;
}

/** One cell. */
export interface ExecutionView {
  id: string;
  jobId: string;
  questionId: string;
  modelId: string;
  region: string;
  /** The cell's variant (`lang=…;prompt=…`), `''` for the default. */
  variant: string;
  replicate: number;
  state: ExecutionState;
  attempts: number;
  failures: number;
  maxAttempts: number;
  runAfter: string;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  traceId: string;
  classification: string | null;
  classificationRule: string | null;
  response: string | null;
  finishReason: string | null;
  lastError: unknown;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** In the listing: when the cell's call in flight started (its open attempt), null when none is open. */
  callStartedAt?: string | null;
  /** In the listing: that call's age in ms on the database clock at the time of the answer. */
  callAgeMs?: number | null;
}

/** One provider call. */
export interface AttemptView {
  id: string;
  executionId: string;
  attempt: number;
  runnerId: string;
  startedAt: string;
  endedAt: string | null;
  /** Null while the call is in flight. */
  outcome: AttemptOutcome | null;
  httpStatus: number | null;
  error: unknown;
  latencyMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  endpoint: string | null;
  systemPrompt: string;
  userPrompt: string;
  parameters: unknown;
  promptHash: string;
  parametersHash: string;
  response: string | null;
  finishReason: string | null;
  traceId: string;
  spanId: string | null;
  /** Set when the outcome had to change to be stored (e.g. NUL characters replaced by U+FFFD); null otherwise. */
  storageNote: string | null;
  /** What the call cost in USD; null when unknown (no price for its model in its region, or no token counts). */
  costUsd: number | null;
  /** The provider kind that made the call, the Beacon region whose provider served it (another than the cell's only
   * through a fallback) and the region the provider reported running it in; null for calls stored before these were. */
  providerKind: string | null;
  servedRegion: string | null;
  regionObserved: string | null;
}

/** A cell with its attempts. */
export interface ExecutionDetailView extends ExecutionView {
  attemptsLog: AttemptView[];
}

/** A page of a listing; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Answer to a job submission. */
export interface SubmitView {
  id: string;
  cells: number;
  status: JobStatus;
  created: boolean;
}

/** A rejected request: what was wrong, and where. */
export interface ErrorView {
  error: string;
  message: string;
  problems?: { path: string; message: string }[];
}

/** Answer to a cancel request. */
export interface CancelView {
  id: string;
  previousStatus: JobStatus;
  /** `cancelled`, `cancelling` (calls still being stopped), or the unchanged status of a finished job. */
  status: CancelAnswerStatus;
  alreadyFinished: boolean;
  pendingCancelled: number;
  running: number;
}

/** Answer of `POST /api/v1/jobs/:id/retry`: the failed cells put back to the queue, each with a fresh attempt budget. */
export interface RetryView {
  id: string;
  previousStatus: JobStatus;
  /** The job is running again until its cells end and the roll-up decides its status. */
  status: 'running';
  retried: number;
  cellIds: string[];
}

/** Answer of `POST /api/v1/jobs/:id/pause` and `…/resume`. */
export interface JobPauseView {
  id: string;
  status: JobStatus;
  paused: boolean;
  pausedAt: string | null;
  pausedBy: string | null;
  /** False when the job was already in the state asked for. */
  changed: boolean;
}

/** A (region, model) an operator paused or gave a concurrency override. */
export interface KeyControlView {
  region: string;
  model: string;
  paused: boolean;
  pausedAt: string | null;
  pausedBy: string | null;
  /**
   * Cells of this (region, model) held at once across all daemons (claimed ahead or calling), in place of the region's
   * concurrency, up or down; null: the region's.
   */
  concurrency: number | null;
  updatedAt: string;
  updatedBy: string;
}

/** Answer of `GET /api/v1/whoami`: who a request's token is, and the job actions the daemon has routes for. */
export interface WhoamiView {
  name: string;
  role: Role;
  kind: Principal['kind'];
  /** `cancel`, and each other `POST /api/v1/jobs/:id/<action>` route this daemon serves, sorted. */
  jobActions: string[];
  /** `BEACON_TRACE_URL`: a link to a trace with `{traceId}` in it (http or https only), or null when not set. */
  traceUrl: string | null;
}

/** A daemon on the database, with the cells it holds per (region, model). */
export interface DaemonView {
  id: string;
  host: string;
  pid: number;
  version: string;
  regions: string[] | null;
  startedAt: string;
  heartbeatAt: string;
  /** Seconds since its last heartbeat (database clock). */
  silentForS: number;
  stoppedAt: string | null;
  draining: boolean;
  drainingAt: string | null;
  drainingBy: string | null;
  /** `held`: cells leased (claimed ahead or calling); `calling`: with a call open. */
  claims: { region: string; model: string; held: number; calling: number }[];
}

/* ---- Live tail, timeline and diff (consumed by the TUI and `beacon timeline` / `beacon diff`) ---- */

/** What happened, in one live-tail event. */
export type LiveEventKind = 'attempt_started' | 'attempt_finished' | 'execution_state' | 'job_state' | 'finding';

/**
 * One event of `GET /api/v1/events` (server-sent events, `event: <kind>`, `id: <seq>`, `data: <this as JSON>`),
 * published by whichever daemon did the work through Postgres LISTEN/NOTIFY. Query filters: `job`, `region`, `model`,
 * `state`, `classification`, `kind` (each may repeat or be comma-separated). A reconnect with `Last-Event-ID` resumes
 * after that sequence number where the server still has it.
 */
export interface LiveEventView {
  /** Monotonic per server stream (decimal string); use as Last-Event-ID. */
  seq: string;
  kind: LiveEventKind;
  /** When it happened (ISO 8601). */
  at: string;
  jobId: string;
  executionId: string | null;
  attemptId: string | null;
  region: string | null;
  modelId: string | null;
  questionId: string | null;
  /** Execution state (execution/attempt events) or job status (job_state) after the event. */
  state: string | null;
  /** Attempt outcome (attempt_finished). */
  outcome: string | null;
  classification: string | null;
  runnerId: string | null;
  /** Attempt number within its cell. */
  attempt: number | null;
  latencyMs: number | null;
  httpStatus: number | null;
  /** Finding events: rule id and severity; otherwise null. */
  ruleId: string | null;
  severity: string | null;
  /** Finding events: the finding's id and one-line summary (cut to 300 characters). */
  findingId?: string | null;
  summary?: string | null;
}

/**
 * The `gap` event of `GET /api/v1/events` (`event: gap`, no id): events were dropped before the next one, because the
 * client read too slowly (`slow_client`), a `Last-Event-ID` was no longer buffered (`resume_unavailable`), or the
 * daemon's database listener reconnected (`listener_reconnected`; `dropped` is then unknown, 0).
 */
export interface LiveGapView {
  dropped: number;
  reason: 'slow_client' | 'resume_unavailable' | 'listener_reconnected';
}

/** One provider call on the timeline: the attempt's timing and outcome facts, without prompts or response. */
export interface TimelineAttemptView extends Pick<
  AttemptView,
  | 'id'
  | 'attempt'
  | 'runnerId'
  | 'startedAt'
  | 'endedAt'
  | 'outcome'
  | 'httpStatus'
  | 'latencyMs'
  | 'inputTokens'
  | 'outputTokens'
  | 'traceId'
  | 'promptHash'
> {
  /** One-line error, if any. */
  error: string | null;
}

/** Marks drawn on a lane. */
export type TimelineMark =
  | 'retried' // more than one attempt
  | 'lease_expired' // an attempt ended with lease_expired
  | 'duplicate' // another execution of the job has the same cell key (imported data)
  | 'out_of_spec' // model, region or question not in the job's spec
  | 'prompt_drift' // attempts of this cell, or its duplicates, differ in prompt hash
  | 'superseded' // marked superseded by a reconciler repair
  | 'impossible_times' // an attempt ends before it starts (imported history, kept as exported)
  | 'imported';

/** One cell (execution) as a lane of the timeline. */
export interface TimelineLaneView {
  executionId: string;
  questionId: string;
  modelId: string;
  region: string;
  /** The cell's variant; left out for the default variant. */
  variant?: string;
  replicate: number;
  state: ExecutionState;
  classification: string | null;
  /** Cell key shared by duplicates: `question|model|region|replicate`, or `question|model|region|variant|replicate`. */
  cellKey: string;
  /** Other executions of this job with the same cell key. */
  duplicateOf: string[];
  marks: TimelineMark[];
  attempts: TimelineAttemptView[];
  /** The Go runner's execution id (imported rows). */
  legacyId?: string | null;
  /** A duplicate's delay: from the first start of the earliest copy of this cell to this lane's first start. */
  gapMs?: number | null;
}

/**
 * `GET /api/v1/jobs/:id/timeline?cursor=&limit=&region=&model=&question=`: lanes ordered by region, model, question,
 * replicate, id; windowed by `limit` (default 200, max 1000) and `cursor`. `from`/`to` span every attempt of the
 * whole job (not only this page), so pages share one time axis.
 */
export interface TimelineView {
  job: JobSummaryView;
  from: string | null;
  to: string | null;
  totalLanes: number;
  lanes: TimelineLaneView[];
  nextCursor: string | null;
}

/** One side of a diff: an execution (its result attempt, else its last) or one attempt. */
export interface DiffSideView {
  /** As asked: `e:<id>` or a bare id for an execution, `a:<id>` for an attempt. */
  ref: string;
  kind: 'execution' | 'attempt';
  executionId: string;
  attemptId: string | null;
  jobId: string;
  questionId: string;
  modelId: string;
  region: string;
  replicate: number;
  attempt: number | null;
  startedAt: string | null;
  systemPrompt: string | null;
  userPrompt: string | null;
  parameters: unknown;
  response: string | null;
  classification: string | null;
  finishReason: string | null;
  /** True for a row imported from the Go runner. */
  imported?: boolean;
  /** The Go runner's execution id (imported rows), as its findings cite it. */
  legacyId?: string | null;
  /** The label the Go runner stored (imported rows); `classification` is Beacon's own. */
  legacyClassification?: string | null;
}

/** A run of words in a word-level diff. */
export interface WordChange {
  op: 'equal' | 'added' | 'removed';
  text: string;
}

/** The fields compared, in display order. */
export type DiffField = 'systemPrompt' | 'userPrompt' | 'parameters' | 'response' | 'classification';

/** One compared field: both texts and the word-level changes from a to b. */
export interface DiffFieldView {
  field: DiffField;
  equal: boolean;
  a: string;
  b: string;
  changes: WordChange[];
}

/** `GET /api/v1/diff?a=&b=`. */
export interface DiffView {
  a: DiffSideView;
  b: DiffSideView;
  fields: DiffFieldView[];
}

/** A reconciler finding as `GET /api/v1/findings` returns it (newest first, keyset-paged). */
export interface FindingView {
  id: string;
  ruleId: string;
  severity: 'info' | 'warning' | 'critical';
  fingerprint: string;
  jobId: string | null;
  summary: string;
  /** Execution / attempt ids, counts and times an operator can look up. */
  evidence: Record<string, unknown>;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  occurrences: number;
}

/** Filters of `GET /api/v1/events`; each may be comma-separated. */
export interface LiveEventFilter {
  job?: string;
  region?: string;
  model?: string;
  state?: string;
  classification?: string;
  kind?: string;
}

/* ---- Schedules (`/api/v1/schedules`, `beacon schedule`) ---- */

/** A schedule: the job spec it fires, when, and its policies. */
export interface ScheduleView {
  /** Its name; its runs are the jobs `<name>-<run>`. */
  name: string;
  /** `every` (whole multiples of `everyMs` since the Unix epoch) or `cron` (UTC). */
  cadence: { kind: 'every'; everyMs: number; every: string } | { kind: 'cron'; expression: string };
  paused: boolean;
  overlap: OverlapPolicy;
  /** Most missed ticks fired when a daemon comes back (0: none). */
  catchUp: number;
  /** Retention: keep the latest this many runs (null: no limit by count). */
  keepRuns: number | null;
  /** Retention: keep runs younger than this many days (null: no limit by age). */
  keepDays: number | null;
  /** The next tick it fires at (null while paused). */
  nextRunAt: string | null;
  /** Runs created so far (the last run's number). */
  runs: number;
  /** The latest run's job: its id and status, or null before the first run. */
  lastRun: { jobId: string; run: number; status: JobStatus } | null;
  createdAt: string;
  createdBy: string | null;
  /** The job spec's cells per run. */
  cells: number;
}

/** One tick of a schedule and what became of it. */
export interface ScheduleTickView {
  tick: string;
  outcome: ScheduleTickOutcome;
  /** The job the tick created (fired, queued), null otherwise or once pruned. */
  jobId: string | null;
  run: number | null;
  /** A run asked for with run-now rather than due by the cadence. */
  manual: boolean;
  /** When the tick was handled, and by which daemon. */
  firedAt: string;
  daemon: string | null;
  /** For a `missed` row: how many ticks it stands for, from `tick` to `missedUntil`; `missedExact` false for a lower bound. */
  missedCount: number | null;
  missedUntil: string | null;
  missedExact: boolean | null;
}

/** A schedule with its spec and its latest ticks, newest first. */
export interface ScheduleDetailView extends ScheduleView {
  spec: unknown;
  ticks: ScheduleTickView[];
}

/** Answer to run-now: the tick recorded and the job created. */
export interface ScheduleRunView {
  name: string;
  tick: ScheduleTickView;
}
