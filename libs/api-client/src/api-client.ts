import type {
  CancelView, ErrorView, ExecutionDetailView, ExecutionView, JobDetailView, JobSummaryView, Page, SubmitView,
} from '@beacon/domain';

/** The API answered with an error status. */
export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly body: ErrorView) {
    super(body.message);
    this.name = 'ApiRequestError';
  }
}

/** The API could not be reached at all. */
export class ApiUnreachableError extends Error {
  constructor(readonly baseUrl: string, cause: unknown) {
    super(`cannot reach the Beacon API at ${baseUrl} (${describe(cause)}); is \`beacon serve\` running? (set BEACON_API_URL to point elsewhere)`);
    this.name = 'ApiUnreachableError';
  }
}

/** Filters of the executions listing. */
export interface ExecutionQuery {
  job?: string;
  region?: string;
  model?: string;
  question?: string;
  state?: string;
  limit?: number;
  cursor?: string;
}

/** Typed client for the runner's HTTP API, used by the CLI and the TUI. */
export class BeaconApiClient {
  readonly baseUrl: string;

  constructor(baseUrl: string, private readonly token: string | null = null) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Submits a job spec as raw JSON text (sent as is, so the server sees the exact bytes). */
  async submitJob(specJson: string): Promise<{ status: number; body: SubmitView }> {
    return this.request<SubmitView>('POST', '/api/v1/jobs', specJson);
  }

  async listJobs(limit = 50, cursor?: string): Promise<Page<JobSummaryView>> {
    return (await this.request<Page<JobSummaryView>>('GET', `/api/v1/jobs${qs({ limit, cursor })}`)).body;
  }

  async getJob(id: string): Promise<JobDetailView> {
    return (await this.request<JobDetailView>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`)).body;
  }

  async listExecutions(q: ExecutionQuery): Promise<Page<ExecutionView>> {
    return (await this.request<Page<ExecutionView>>('GET', `/api/v1/executions${qs({ ...q })}`)).body;
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

  async getExecution(id: string): Promise<ExecutionDetailView> {
    return (await this.request<ExecutionDetailView>('GET', `/api/v1/executions/${encodeURIComponent(id)}`)).body;
  }

  private async request<T>(method: string, path: string, body?: string): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, { method, headers, body });
    } catch (err) {
      throw new ApiUnreachableError(this.baseUrl, err);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { error: 'bad_response', message: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
    if (!res.ok) {
      const err = parsed as Partial<ErrorView>;
      throw new ApiRequestError(res.status, {
        error: err.error ?? 'http_error', message: err.message ?? `HTTP ${res.status}`, problems: err.problems,
      });
    }
    return { status: res.status, body: parsed as T };
  }
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
