/*
 * The shapes of the API answers the viewer reads: the subset of the daemon's views it shows (see the README's HTTP
 * API). Kept here because the page is compiled apart from the server and ships alone.
 */

export type Role = 'viewer' | 'submitter' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'submitter', 'operator', 'admin'];

export interface Whoami {
  name: string;
  role: Role;
  kind: 'token' | 'local';
  /** The job actions this daemon has routes for (`cancel`, and any added later). */
  jobActions: string[];
  /** Trace link template with `{traceId}`, or null. */
  traceUrl: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface JobSummary {
  id: string;
  status: string;
  benchmark: string;
  cells: { expected: number; planned: number; byState: Partial<Record<string, number>> };
  findings: { open: number; duplicates: number };
  submitter: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequestedAt: string | null;
  pausedAt: string | null;
}

export interface JobDetail extends JobSummary {
  spec: {
    questions: { id: string; text: string; category: string | null }[];
    models: { id: string }[];
    regions: { id: string }[];
    repeats: number;
  };
  traceId: string | null;
  cost: { usd: number | null; pricedCalls: number; unknownCalls: number; maxUsd: number | null };
}

export type Label = 'answered' | 'partial' | 'refused' | 'empty' | 'filtered';
export const LABELS: readonly Label[] = ['answered', 'partial', 'refused', 'empty', 'filtered'];

export interface MatrixCell {
  label: Label | null;
  cells: number;
  responses: number;
  labels: Record<Label, number>;
  pending: number;
  running: number;
  failed: number;
  cancelled: number;
  firstExecutionId: string;
}

export interface MatrixPage {
  jobId: string;
  status: string;
  columns: { modelId: string; region: string }[];
  total: number;
  offset: number;
  rows: { questionId: string; text: string; category: string | null; cells: (MatrixCell | null)[] }[];
}

export interface Rate {
  count: number;
  of: number;
  rate: number | null;
  low: number | null;
  high: number | null;
}

export interface Analysis {
  jobId: string;
  refusalMatrix: { region: string; modelId: string; refusal: Rate; counts: { responses: number; noResponse: number } }[];
  noiseFloor: { overall: number | null; byModel: Record<string, number | null> };
  pairs: {
    questionId: string;
    modelId: string;
    isControl: boolean;
    pattern: string;
    divergence: number | null;
    band: { low: number; high: number } | null;
    noiseFloor: number | null;
    exceedsNoise: boolean | null;
    regions: { region: string; majority: Label | null }[];
  }[];
  dataQuality: { source: string; severity: string; ruleId: string; message: string }[];
}

export interface Execution {
  id: string;
  jobId: string;
  questionId: string;
  modelId: string;
  region: string;
  replicate: number;
  state: string;
  attempts: number;
  classification: string | null;
  response: string | null;
  traceId: string;
  lastError: unknown;
}

export interface Attempt {
  id: string;
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
  response: string | null;
  finishReason: string | null;
  traceId: string;
  spanId: string | null;
  servedRegion?: string | null;
  regionObserved?: string | null;
  providerKind?: string | null;
}

export interface ExecutionDetail extends Execution {
  attemptsLog: Attempt[];
}

export interface Diff {
  fields: { field: string; equal: boolean; a: string; b: string; changes: { op: 'equal' | 'added' | 'removed'; text: string }[] }[];
}

export interface Finding {
  id: string;
  ruleId: string;
  severity: 'info' | 'warning' | 'critical';
  jobId: string | null;
  summary: string;
  evidence: Record<string, unknown>;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  occurrences: number;
}

export interface LiveEvent {
  kind: string;
  jobId: string;
  executionId: string | null;
  state: string | null;
}

export interface TrendSeries {
  runs: { index: number; jobId: string; createdAt: string; status: string }[];
  points: { questionId: string; model: string; region: string; runIndex: number; label: Label | null; responses: number }[];
}

export interface Schedule {
  name: string;
  paused: boolean;
  runs: number;
}

/** `GET /api/v1/jobs/:id/summary`: the job page's first view of the results, bounded whatever the job's size. */
export interface JobSummaryAnswer {
  jobId: string;
  status: string;
  refusals: { modelId: string; region: string; cells: number; responses: number; refusal: Rate; refusalOrPartial: Rate }[];
  divergence: {
    total: number;
    compared: number;
    aboveNoise: number;
    offset: number;
    limit: number;
    noiseFloor: { overall: number | null; byModel: Record<string, number | null> };
    items: {
      questionId: string;
      modelId: string;
      variant: string;
      isControl: boolean;
      regions: number;
      pairs: number;
      agreeing: number;
      disagreement: number | null;
      noiseFloor: number | null;
      aboveNoise: boolean | null;
    }[];
  };
  findings: { open: number; bySeverity: Record<string, number> };
}
