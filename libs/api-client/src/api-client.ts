import type {
  ConsistencyProofView,
  EvidenceBundle,
  InclusionProofView,
  TransparencyHeadView,
  CancelView,
  DaemonView,
  WhoamiView,
  DiffView,
  JobPauseView,
  KeyControlView,
  RetryView,
  ErrorView,
  ExecutionDetailView,
  ExecutionView,
  FindingView,
  JobDetailView,
  JobSummaryView,
  LiveEventFilter,
  LiveEventView,
  Page,
  ScheduleDetailView,
  ScheduleRunView,
  ScheduleView,
  SubmitView,
  TimelineView,
  TrendSeries,
  TrendSummary,
  JobResultsSummaryView,
  NotificationDeliveryView,
  NotificationOutboxView,
  NotificationRetryView,
  NotificationSummaryView,
} from '@beacon/domain';
import type { JobAnalysis } from '@beacon/analysis';
import { issuesToProblems, jsonPathFormatter, problemMessages } from '@beacon/domain';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { z } from 'zod';
import { type LiveStreamNotice, streamLiveEvents } from './live-events.stream.js';

/** The API answered with an error status. */
export class ApiRequestError extends Error {
  /** `retryAfterS`: the answer's Retry-After in seconds, when it had one. */
  constructor(
    readonly status: number,
    readonly body: ErrorView,
    readonly retryAfterS: number | null = null,
  ) {
    super(body.message);
    this.name = 'ApiRequestError';
  }
}

/** The API could not be reached at all. */
export class ApiUnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    cause: unknown,
  ) {
    super(
      `cannot reach the Beacon API at ${baseUrl} (${describe(cause)}); is \`beacon serve\` running? (set BEACON_API_URL to point elsewhere)`,
    );
    this.name = 'ApiUnreachableError';
  }
}

/**
 * The API (or what answers at its address) answered, but not as the API does: nothing within the idle timeout, more
 * than the body bound, a body that is not JSON, or JSON that is not the answer asked for. A witness points this
 * client at a log it does not trust, so a hostile answer must end as this error, never as a hang or a crash.
 */
export class ApiResponseError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`the Beacon API at ${baseUrl} gave a bad answer to ${path.replace(/\?.*$/, '')}: ${detail}`);
    this.name = 'ApiResponseError';
  }
}

/** Bounds on one request. */
export interface ApiClientOptions {
  /** Give up when nothing arrives (answer head or body bytes) for this long. */
  idleTimeoutMs?: number;
  /** Give up when the answer's body grows past this many bytes. */
  maxBodyBytes?: number;
}

/**
 * 60 s of silence: the daemon answers every API call in milliseconds to seconds (a large analysis is computed in the
 * background and answered 503 meanwhile). 500 MiB: the largest answers are evidence bundles of large jobs (every
 * response of the job, with its receipt and proof), and a body past about 512 MiB could not be held as one string by
 * Node anyway (V8's longest string), so the bound only turns a crash into a clear error.
 */
export const API_CLIENT_DEFAULTS: Required<ApiClientOptions> = { idleTimeoutMs: 60_000, maxBodyBytes: 500 * 1024 * 1024 };

/** A head or a proof of the transparency log is a few kilobytes; a log answering more is not answering as one. */
const TRANSPARENCY_MAX_BYTES = 1024 * 1024;
const base64 = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** 64 hashes prove anything in a log of up to 2^64 leaves; 128 leaves room. */
const hashes = z.array(base64).max(128);
const TRANSPARENCY_HEAD = z.looseObject({
  origin: z.string().max(1024),
  treeSize: count,
  rootHash: base64,
  keyId: z.string().max(1024),
  checkpoint: z
    .string()
    .min(1)
    .max(64 * 1024),
  signedAt: z.string().max(64),
  keys: z.array(z.looseObject({ id: z.string().max(1024), public_key: base64 })).max(64),
}) satisfies z.ZodType<TransparencyHeadView>;
const CONSISTENCY_PROOF = z.looseObject({ from: count, to: count, proof: hashes }) satisfies z.ZodType<ConsistencyProofView>;
const INCLUSION_PROOF = z.looseObject({
  leafIndex: count,
  treeSize: count,
  leafHash: base64,
  proof: hashes,
  checkpoint: z
    .string()
    .min(1)
    .max(64 * 1024),
  receipt: z.unknown(),
}) satisfies z.ZodType<InclusionProofView>;

/** Filters of the executions listing. */
export interface ExecutionQuery {
  job?: string;
  region?: string;
  model?: string;
  question?: string;
  /** A variant id, or `default` for the default variant. */
  variant?: string;
  state?: string;
  /** Only cells without any attempt: planned and not yet run, or ended (cancelled, failed) without a call. */
  neverRun?: boolean;
  limit?: number;
  cursor?: string;
}

/** Window and filters of a job timeline. */
export interface TimelineQuery {
  cursor?: string;
  limit?: number;
  region?: string;
  model?: string;
  question?: string;
}

/** Filters of the findings listing (open findings by default). */
export interface FindingQuery {
  job?: string;
  rule?: string;
  severity?: string;
  state?: 'open' | 'resolved' | 'all';
  limit?: number;
  cursor?: string;
}

/** What a trend series is asked for: job ids of one spec, or a schedule (its newest `last` runs); one question's cells only with `question`. */
export type TrendQuery = ({ jobs: string[] } | { schedule: string; last?: number }) & { question?: string };

/** What `POST /api/v1/retention/prune` did (or would do, with `dryRun`). */
export interface PruneView {
  pruned: string[];
  skipped: { jobId: string; reason: 'active' | 'unknown' | 'too_recent' }[];
  executions: number;
  dryRun: boolean;
}

/** Typed client for the runner's HTTP API, used by the CLI and the TUI. */
export class BeaconApiClient {
  readonly baseUrl: string;
  private readonly limits: Required<ApiClientOptions>;

  constructor(
    baseUrl: string,
    private readonly token: string | null = null,
    options: ApiClientOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.limits = {
      idleTimeoutMs: options.idleTimeoutMs ?? API_CLIENT_DEFAULTS.idleTimeoutMs,
      maxBodyBytes: options.maxBodyBytes ?? API_CLIENT_DEFAULTS.maxBodyBytes,
    };
  }

  /**
   * Submits a job spec as raw JSON text or bytes (sent as is, so the server sees the exact bytes). `headers` are sent
   * too, e.g. the `Beacon-*` signature headers of `signBeaconRequest` over those same bytes.
   */
  async submitJob(specJson: string | Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; body: SubmitView }> {
    return this.request<SubmitView>('POST', '/api/v1/jobs', specJson, headers);
  }

  async listJobs(limit = 50, cursor?: string): Promise<Page<JobSummaryView>> {
    return (await this.request<Page<JobSummaryView>>('GET', `/api/v1/jobs${qs({ limit, cursor })}`)).body;
  }

  async getJob(id: string): Promise<JobDetailView> {
    return (await this.request<JobDetailView>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`)).body;
  }

  async listExecutions(q: ExecutionQuery): Promise<Page<ExecutionView>> {
    const { neverRun, ...rest } = q;
    return (await this.request<Page<ExecutionView>>('GET', `/api/v1/executions${qs({ ...rest, neverRun: neverRun ? 'true' : undefined })}`))
      .body;
  }

  /** Every page of a listing, in order. */
  async *allExecutions(q: ExecutionQuery): AsyncGenerator<ExecutionView> {
    let cursor: string | undefined = q.cursor;
    do {
      const page = await this.listExecutions({ ...q, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  async cancelJob(id: string): Promise<CancelView> {
    return (await this.request<CancelView>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`)).body;
  }

  /** Re-runs a job's failed cells (all, or the failed ones of `cells`), each with a fresh attempt budget (operator). */
  async retryJob(id: string, cells: string[] | null): Promise<RetryView> {
    const body = JSON.stringify(cells === null ? { failed: true } : { cells });
    return (await this.request<RetryView>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/retry`, body)).body;
  }

  /** Pauses or resumes a job (operator): a paused job's cells are not claimed; calls in flight finish. */
  async setJobPaused(id: string, paused: boolean): Promise<JobPauseView> {
    const action = paused ? 'pause' : 'resume';
    return (await this.request<JobPauseView>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/${action}`)).body;
  }

  /** Who the token is: its name and role, and the job actions the daemon serves. */
  async whoami(): Promise<WhoamiView> {
    return (await this.request<WhoamiView>('GET', '/api/v1/whoami')).body;
  }

  /** Every (region, model) paused or with a concurrency override. */
  async keyControls(): Promise<Page<KeyControlView>> {
    return (await this.request<Page<KeyControlView>>('GET', '/api/v1/controls/keys')).body;
  }

  /** Pauses or resumes a (region, model) on every daemon (operator). */
  async setKeyPaused(region: string, model: string, paused: boolean): Promise<KeyControlView> {
    const path = `/api/v1/controls/keys/${paused ? 'pause' : 'resume'}`;
    return (await this.request<KeyControlView>('POST', path, JSON.stringify({ region, model }))).body;
  }

  /** Sets (or with null removes) a (region, model)'s concurrency override (operator). */
  async setKeyConcurrency(region: string, model: string, concurrency: number | null): Promise<KeyControlView> {
    const body = JSON.stringify({ region, model, concurrency });
    return (await this.request<KeyControlView>('POST', '/api/v1/controls/keys/concurrency', body)).body;
  }

  /** The daemons on the database and the cells each holds. */
  async daemons(): Promise<Page<DaemonView>> {
    return (await this.request<Page<DaemonView>>('GET', '/api/v1/daemons')).body;
  }

  /** Drains a daemon (it claims nothing more and finishes its calls), or with `draining` false lets it claim again. */
  async setDraining(id: string, draining: boolean): Promise<DaemonView> {
    const path = `/api/v1/daemons/${encodeURIComponent(id)}/${draining ? 'drain' : 'undrain'}`;
    return (await this.request<DaemonView>('POST', path)).body;
  }

  async getExecution(id: string): Promise<ExecutionDetailView> {
    return (await this.request<ExecutionDetailView>('GET', `/api/v1/executions/${encodeURIComponent(id)}`)).body;
  }

  /** One window of a job's timeline (lanes per cell, attempts on a shared time axis). */
  async getTimeline(jobId: string, q: TimelineQuery = {}): Promise<TimelineView> {
    return (await this.request<TimelineView>('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}/timeline${qs({ ...q })}`)).body;
  }

  /** A job's evidence bundle (the daemon logs its committed cells first). */
  async getBundle(jobId: string): Promise<EvidenceBundle> {
    return (await this.request<EvidenceBundle>('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}/bundle`)).body;
  }

  /** The evidence log's latest signed tree head, or the one signed at `size`. */
  async getTransparencyHead(size?: number): Promise<TransparencyHeadView> {
    return this.checked(TRANSPARENCY_HEAD, `/api/v1/transparency/head${qs({ size })}`);
  }

  async getConsistencyProof(from: number, to: number): Promise<ConsistencyProofView> {
    return this.checked(CONSISTENCY_PROOF, `/api/v1/transparency/proof/consistency${qs({ from, to })}`);
  }

  async getInclusionProof(leaf: number | string, size?: number): Promise<InclusionProofView> {
    return this.checked(INCLUSION_PROOF, `/api/v1/transparency/proof/inclusion${qs({ leaf, size })}`);
  }

  /**
   * A GET of the transparency log, whose answers are read by those who do not trust the log (a witness, a verifier):
   * bounded to 1 MiB (a head or a proof is a few kilobytes) and checked against its shape, so that a hostile log's
   * answer is an {@link ApiResponseError} naming the field, never a crash deeper in the verification.
   */
  private async checked<S extends z.ZodType>(schema: S, path: string): Promise<z.output<S>> {
    const { body } = await this.request<unknown>('GET', path, undefined, {}, TRANSPARENCY_MAX_BYTES);
    const parsed = schema.safeParse(body, { error: problemMessages });
    if (parsed.success) return parsed.data;
    const [problem] = issuesToProblems(parsed.error.issues, jsonPathFormatter('$'));
    throw new ApiResponseError(this.baseUrl, path, `${problem!.path}: ${problem!.message}`);
  }

  /** Word-level diff of two executions or attempts: `e:<id>` or a bare id for an execution, `a:<id>` for an attempt. */
  async getDiff(a: string, b: string): Promise<DiffView> {
    return (await this.request<DiffView>('GET', `/api/v1/diff${qs({ a, b })}`)).body;
  }

  /**
   * A job's cross-region analysis: refusal patterns, divergence between regions, noise floor, data quality. The daemon
   * computes a large one in the background and answers 503 `analysis_pending` (or `analysis_busy`) with Retry-After
   * meanwhile: this waits as told and asks again, for at most `maxWaitMs` in all.
   */
  async getAnalysis(jobId: string, maxWaitMs = 600_000): Promise<JobAnalysis> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      try {
        return (await this.request<JobAnalysis>('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}/analysis`)).body;
      } catch (err) {
        const retryable =
          err instanceof ApiRequestError && err.status === 503 && ['analysis_pending', 'analysis_busy'].includes(err.body.error);
        const waitMs = retryable ? Math.min(60_000, Math.max(100, (err.retryAfterS ?? 2) * 1000)) : 0;
        if (!retryable || Date.now() + waitMs > deadline) throw err;
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  /** Every schedule, by name. */
  async listSchedules(): Promise<Page<ScheduleView>> {
    return (await this.request<Page<ScheduleView>>('GET', '/api/v1/schedules')).body;
  }

  /** One schedule with its spec and its latest `ticks` tick rows. */
  async getSchedule(name: string, ticks = 20): Promise<ScheduleDetailView> {
    return (await this.request<ScheduleDetailView>('GET', `/api/v1/schedules/${encodeURIComponent(name)}${qs({ ticks })}`)).body;
  }

  /** Creates a schedule: `{ name, spec, every | cron, overlap?, catchUp?, keepRuns?, keepDays? }`. */
  async createSchedule(body: Record<string, unknown>): Promise<ScheduleDetailView> {
    return (await this.request<ScheduleDetailView>('POST', '/api/v1/schedules', JSON.stringify(body))).body;
  }

  /** Changes a schedule's overlap, catch-up or retention settings (null clears a retention limit). */
  async updateSchedule(name: string, body: Record<string, unknown>): Promise<ScheduleView> {
    return (await this.request<ScheduleView>('PATCH', `/api/v1/schedules/${encodeURIComponent(name)}`, JSON.stringify(body))).body;
  }

  /** `pause`, `resume`: the schedule afterwards. */
  async scheduleAction(name: string, action: 'pause' | 'resume'): Promise<ScheduleView> {
    return (await this.request<ScheduleView>('POST', `/api/v1/schedules/${encodeURIComponent(name)}/${action}`)).body;
  }

  /** A manual run now: its tick row and job. */
  async runScheduleNow(name: string): Promise<ScheduleRunView> {
    return (await this.request<ScheduleRunView>('POST', `/api/v1/schedules/${encodeURIComponent(name)}/run-now`)).body;
  }

  async removeSchedule(name: string): Promise<{ name: string; removed: true }> {
    return (await this.request<{ name: string; removed: true }>('DELETE', `/api/v1/schedules/${encodeURIComponent(name)}`)).body;
  }

  /** A series of runs: per (question, model, region), labels, refusal rates and answer similarity across runs. */
  async getTrends(q: TrendQuery): Promise<TrendSeries> {
    return (await this.request<TrendSeries>('GET', `/api/v1/trends${qs(trendParams(q))}`)).body;
  }

  /** The same series summarised by cell (strips, flips, the newest sample; no points): what the Trends screen draws. */
  async getTrendCells(q: TrendQuery): Promise<TrendSummary> {
    return (await this.request<TrendSummary>('GET', `/api/v1/trends/cells${qs(trendParams(q))}`)).body;
  }

  /**
   * A job's results summary: refusal rates per (model, region) and a page of (question, model, variant) pairs, most
   * divergent across regions first, then most refused (`limit` 1–500).
   */
  async getJobSummary(jobId: string, q: { offset?: number; limit?: number } = {}): Promise<JobResultsSummaryView> {
    return (await this.request<JobResultsSummaryView>('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}/summary${qs(q)}`)).body;
  }

  /** Deletes finished jobs, keeping their trend summaries (operator role); `olderThan` a duration such as `30d`. */
  async prune(body: { jobs: string[]; olderThan?: string; dryRun?: boolean }): Promise<PruneView> {
    return (await this.request<PruneView>('POST', '/api/v1/retention/prune', JSON.stringify(body))).body;
  }

  /** Reconciler findings, newest first. */
  async listFindings(q: FindingQuery = {}): Promise<Page<FindingView>> {
    return (await this.request<Page<FindingView>>('GET', `/api/v1/findings${qs({ ...q })}`)).body;
  }

  /** The configured sinks and the notification outbox counted by sink and state. */
  async notificationSummary(): Promise<NotificationSummaryView> {
    return (await this.request<NotificationSummaryView>('GET', '/api/v1/notifications')).body;
  }

  /** Outbox rows, newest first. */
  async notificationOutbox(
    q: { sink?: string; state?: string; limit?: number; cursor?: string } = {},
  ): Promise<Page<NotificationOutboxView>> {
    return (await this.request<Page<NotificationOutboxView>>('GET', `/api/v1/notifications/outbox${qs({ ...q })}`)).body;
  }

  /** The delivery log (one row per HTTP attempt), newest first. */
  async notificationDeliveries(
    q: { sink?: string; outbox?: string; limit?: number; cursor?: string } = {},
  ): Promise<Page<NotificationDeliveryView>> {
    return (await this.request<Page<NotificationDeliveryView>>('GET', `/api/v1/notifications/deliveries${qs({ ...q })}`)).body;
  }

  /** A dead delivery back to pending (operator). */
  async retryNotification(id: string): Promise<NotificationRetryView> {
    return (await this.request<NotificationRetryView>('POST', `/api/v1/notifications/outbox/${encodeURIComponent(id)}/retry`)).body;
  }

  /**
   * Live attempt, state and finding events from every daemon on the database (server-sent events). Reconnects with
   * `Last-Event-ID` after a drop, with backoff, until `signal` aborts; then the iteration ends. A filter the server
   * rejects throws {@link ApiRequestError}. `onNotice` hears of connects, reconnects and dropped events.
   */
  events(filter: LiveEventFilter, signal?: AbortSignal, onNotice?: (notice: LiveStreamNotice) => void): AsyncIterable<LiveEventView> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return streamLiveEvents({
      url: `${this.baseUrl}/api/v1/events${qs({ ...filter })}`,
      headers,
      signal,
      onNotice,
      rejected: (status, body) => new ApiRequestError(status, body),
    });
  }

  private async request<T>(
    method: string,
    path: string,
    body?: string | Uint8Array,
    extra: Record<string, string> = {},
    maxBodyBytes = this.limits.maxBodyBytes,
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { ...extra, accept: 'application/json' };
    // Also on a body-less POST: a daemon without tokens accepts state changes only as JSON (what no cross-site page can send).
    if (body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    // The request's own client span (a no-op without an SDK), sent as `traceparent`: fetch is not instrumented, and the
    // daemon's request span, and a job's trace link, hang under it.
    const span = tracer().startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': method, 'url.full': this.baseUrl + path.replace(/\?.*$/, '') },
    });
    propagation.inject(trace.setSpan(context.active(), span), headers);
    // One idle timer for the whole exchange, re-armed by every chunk of the body: a daemon that stops answering, or
    // answers one byte a minute, is given up on instead of holding the command (or the witness) for ever.
    const ac = new AbortController();
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        ac.abort();
      }, this.limits.idleTimeoutMs);
    };
    const bad = (detail: string) => new ApiResponseError(this.baseUrl, path, detail);
    const silent = () => bad(`nothing arrived for ${this.limits.idleTimeoutMs / 1000} s`);
    let res: Response;
    let text: string;
    try {
      arm();
      try {
        res = await fetch(this.baseUrl + path, { method, headers, body, signal: ac.signal });
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: idle ? 'timeout' : 'unreachable' });
        span.setAttribute('error.type', idle ? 'timeout' : err instanceof Error ? err.name : 'error');
        span.end();
        throw idle ? silent() : new ApiUnreachableError(this.baseUrl, err);
      }
      span.setAttribute('http.response.status_code', res.status);
      if (res.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      text = await readBounded(res, maxBodyBytes, arm, ac).catch((err: unknown) => {
        if (idle) throw silent();
        if (err instanceof BodyTooLarge) throw bad(`its body passed ${maxBodyBytes} bytes`);
        throw new ApiUnreachableError(this.baseUrl, err);
      });
    } finally {
      clearTimeout(timer);
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      if (res.ok) throw bad(`HTTP ${res.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
      parsed = { error: 'bad_response', message: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
    if (!res.ok && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
      parsed = { error: 'bad_response', message: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
    if (!res.ok) {
      const err = parsed as Partial<ErrorView>;
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new ApiRequestError(
        res.status,
        {
          error: err.error ?? 'http_error',
          message: err.message ?? `HTTP ${res.status}`,
          problems: err.problems,
        },
        res.headers.has('retry-after') && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
      );
    }
    return { status: res.status, body: parsed as T };
  }
}

class BodyTooLarge extends Error {}

/** The answer's body as text, refused past `max` bytes (the download is stopped there); `onChunk` after each chunk. */
async function readBounded(res: Response, max: number, onChunk: () => void, ac: AbortController): Promise<string> {
  if (!res.body) return '';
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    ac.abort();
    throw new BodyTooLarge();
  }
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onChunk();
    size += value.byteLength;
    if (size > max) {
      ac.abort();
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function qs(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  if (entries.length === 0) return '';
  return '?' + entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function tracer() {
  return trace.getTracer('beacon-api-client');
}

/** The query parameters of a series. */
function trendParams(q: TrendQuery): Record<string, string | number | undefined> {
  return 'jobs' in q ? { jobs: q.jobs.join(','), question: q.question } : { schedule: q.schedule, last: q.last, question: q.question };
}
