/** The shapes the runner API returns; shared by the daemon, the API client, the CLI and the TUI. */

/** Cell counts of a job, by execution state. */
export interface CellCounts {
  expected: number;
  actual: number;
  byState: Record<string, number>;
}

/** A job in listings. */
export interface JobSummaryView {
  id: string;
  status: string;
  format: string;
  benchmark: string;
  cells: CellCounts;
  submitter: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** One job with its normalised spec and the spec exactly as received. */
export interface JobDetailView extends JobSummaryView {
  spec: unknown;
  specReceived: string;
  specHash: string;
  traceId: string | null;
}

/** One cell. */
export interface ExecutionView {
  id: string;
  jobId: string;
  questionId: string;
  modelId: string;
  region: string;
  replicate: number;
  state: string;
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
}

/** One provider call. */
export interface AttemptView {
  id: string;
  executionId: string;
  attempt: number;
  runnerId: string;
  startedAt: string;
  endedAt: string | null;
  outcome: string | null;
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
  status: string;
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
  previousStatus: string;
  /** `cancelled`, `cancelling` (calls still being stopped), or the unchanged status of a finished job. */
  status: string;
  alreadyFinished: boolean;
  pendingCancelled: number;
  running: number;
}
