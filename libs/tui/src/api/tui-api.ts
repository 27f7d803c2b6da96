import type { ExecutionQuery, FindingQuery, LiveStreamNotice, TimelineQuery, TrendQuery } from '@beacon/api-client';
import type {
  CancelView,
  DaemonView,
  JobPauseView,
  KeyControlView,
  RetryView,
  WhoamiView,
  DiffView,
  ExecutionDetailView,
  ExecutionView,
  FindingView,
  JobSummaryView,
  LiveEventFilter,
  LiveEventView,
  Page,
  TimelineView,
  TrendSummary,
  JobResultsSummaryView,
} from '@beacon/domain';

/** Query shapes of the API, as the client sends them; the TUI's names for them. */
export type { TimelineQuery, FindingQuery as FindingsQuery, ExecutionQuery as ExecutionsQuery } from '@beacon/api-client';
export type { LiveEventFilter as LiveEventQuery } from '@beacon/domain';

/**
 * The part of the runner API the TUI uses. `BeaconApiClient` satisfies it; tests and benchmarks may pass any object
 * with the same methods.
 */
export interface TuiApi {
  listJobs(limit?: number, cursor?: string): Promise<Page<JobSummaryView>>;
  listExecutions(q: ExecutionQuery): Promise<Page<ExecutionView>>;
  getExecution(id: string): Promise<ExecutionDetailView>;
  getTimeline(jobId: string, q?: TimelineQuery): Promise<TimelineView>;
  getDiff(a: string, b: string): Promise<DiffView>;
  listFindings(q?: FindingQuery): Promise<Page<FindingView>>;
  getTrendCells(q: TrendQuery): Promise<TrendSummary>;
  getJobSummary(jobId: string, q?: { offset?: number; limit?: number }): Promise<JobResultsSummaryView>;
  /* ---- Operator controls (the same calls as `beacon retry`, `pause`, `drain`, …; the API checks the role and audits each) ---- */
  whoami(): Promise<WhoamiView>;
  cancelJob(id: string): Promise<CancelView>;
  retryJob(id: string, cells: string[] | null): Promise<RetryView>;
  setJobPaused(id: string, paused: boolean): Promise<JobPauseView>;
  keyControls(): Promise<Page<KeyControlView>>;
  setKeyPaused(region: string, model: string, paused: boolean): Promise<KeyControlView>;
  setKeyConcurrency(region: string, model: string, concurrency: number | null): Promise<KeyControlView>;
  daemons(): Promise<Page<DaemonView>>;
  setDraining(id: string, draining: boolean): Promise<DaemonView>;
  /** The live stream, reconnecting by itself; `onNotice` hears when it is up, lost, and when the server dropped events. */
  events(filter: LiveEventFilter, signal?: AbortSignal, onNotice?: (notice: LiveStreamNotice) => void): AsyncIterable<LiveEventView>;
}
