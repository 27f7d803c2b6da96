import type {
  DiffView, ExecutionDetailView, ExecutionView, FindingView, JobSummaryView, LiveEventView, Page, TimelineView,
} from '@beacon/domain';

/** Filters of a timeline page request. */
export interface TimelineQuery {
  cursor?: string;
  limit?: number;
  region?: string;
  model?: string;
  question?: string;
}

/** Filters of the findings listing. */
export interface FindingsQuery {
  job?: string;
  rule?: string;
  severity?: string;
  state?: string;
  limit?: number;
  cursor?: string;
}

/** Filters of the live event stream; each may be comma-separated. */
export interface LiveEventQuery {
  job?: string;
  region?: string;
  model?: string;
  state?: string;
  classification?: string;
  kind?: string;
}

/** Filters of the executions listing. */
export interface ExecutionsQuery {
  job?: string;
  region?: string;
  model?: string;
  question?: string;
  state?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The part of the runner API the TUI uses. `BeaconApiClient` satisfies it; tests and benchmarks may pass any object
 * with the same methods.
 */
export interface TuiApi {
  listJobs(limit?: number, cursor?: string): Promise<Page<JobSummaryView>>;
  listExecutions(q: ExecutionsQuery): Promise<Page<ExecutionView>>;
  getExecution(id: string): Promise<ExecutionDetailView>;
  getTimeline(jobId: string, q?: TimelineQuery): Promise<TimelineView>;
  getDiff(a: string, b: string): Promise<DiffView>;
  listFindings(q?: FindingsQuery): Promise<Page<FindingView>>;
  events(filter: LiveEventQuery, signal?: AbortSignal): AsyncIterable<LiveEventView>;
}
