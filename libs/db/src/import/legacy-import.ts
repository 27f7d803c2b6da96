import {
  type AttemptOutcome, canonicalJson, DEFAULT_MIN_SUCCESS_RATE, type ExecutionState, type JobStatus, defaultConfig, resolveRegion, sha256Hex, storableValue, type BeaconConfig, type NormalisedJobSpec, type PlannedQuestion,
} from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { query } from '../repositories/query.js';
import { CELL_SQL } from '../repositories/status-sql.js';

/** A Go runner export that cannot be imported; `field` names what is wrong. */
export class LegacyImportError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'LegacyImportError';
  }
}

type Obj = Record<string, unknown>;

/** One exported execution, checked. */
export interface LegacyExecution {
  id: number;
  status: string;
  region: string;
  providerId: string;
  modelId: string;
  questionId: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  response: string | null;
  classification: string | null;
  systemPrompt: string | null;
  userPrompt: string | null;
  parameters: Obj;
  raw: Obj;
}

/** One `{job, executions}` document, checked. */
export interface LegacyDocument {
  job: { id: number | string; jobspecId: string; status: string; createdAt: Date | null; updatedAt: Date | null; spec: Obj };
  executions: LegacyExecution[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') throw new LegacyImportError(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

/** Go's zero time, which a non-pointer `time.Time` field exports for "never". */
const GO_ZERO_TIME = /^0001-01-01[T ]00:00:00/;
/** A time of day without a zone designator (Z, ±hh, ±hh:mm, ±hhmm): read as UTC, never as this machine's zone. */
const ZONELESS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

function date(o: Obj, key: string, path: string): Date | null {
  const v = o[key];
  if (v == null || v === '') return null;
  if (typeof v !== 'string') throw new LegacyImportError(`${path}.${key}`, 'must be an ISO timestamp');
  if (GO_ZERO_TIME.test(v)) return null;
  const d = new Date(ZONELESS.test(v.trim()) ? `${v.trim().replace(' ', 'T')}Z` : v);
  if (Number.isNaN(d.getTime())) throw new LegacyImportError(`${path}.${key}`, `must be an ISO timestamp, not ${JSON.stringify(v.slice(0, 40))}`);
  return d;
}

/** An object field that may also arrive as a JSON string (a JSONB column scanned into a string). */
function objectField(v: unknown): Obj {
  if (isObj(v)) return v;
  if (typeof v === 'string' && v.trim().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (isObj(parsed)) return parsed;
    } catch {
      // not JSON after all: treated as absent
    }
  }
  return {};
}

const firstString = (...values: unknown[]): string | null => {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return null;
};

/**
 * The executions of an export: an array, the `{executions: [...]}` body of `GET …/executions/all` saved as is, or
 * null (the Go runner returned null for a job without rows).
 */
function executionList(v: unknown): unknown[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  if (isObj(v) && (Array.isArray(v.executions) || v.executions === null)) return v.executions ?? [];
  throw new LegacyImportError('executions', 'must be an array (or null, or an object with an executions array)');
}

function legacyId(v: unknown, path: string): number {
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new LegacyImportError(path, 'must be a non-negative integer');
  return n;
}

function parseExecution(e: unknown, path: string, job: { id: number | string; jobspecId: string; createdAt: Date | null }): LegacyExecution {
  if (!isObj(e)) throw new LegacyImportError(path, 'must be an object');
  const id = legacyId(e.id, `${path}.id`);
  if (e.job_id != null && String(e.job_id) !== job.jobspecId && String(e.job_id) !== String(job.id)) {
    throw new LegacyImportError(`${path}.job_id`, `${String(e.job_id)} is not the exported job ${job.jobspecId}`);
  }
  const q = e.question_id;
  if (q != null && typeof q !== 'string') throw new LegacyImportError(`${path}.question_id`, 'must be a string or null');
  // `executions/all` rows carry `output` ({response, provider, metadata}); `GET /jobs/:id` rows carry the receipt.
  const receipt = objectField(e.receipt);
  const receiptOutput = objectField(receipt.output);
  const output = objectField(e.output);
  const meta = { ...objectField(receiptOutput.metadata), ...objectField(output.metadata) };
  const details = objectField(receipt.execution_details);
  const parameters: Obj = {};
  for (const k of ['model', 'temperature', 'max_tokens']) if (meta[k] !== undefined) parameters[k] = meta[k];
  const modelId = firstString(e.model_id, meta.model, details.model);
  if (modelId === null) throw new LegacyImportError(`${path}.model_id`, 'must be a non-empty string');
  const startedAt = date(e, 'started_at', path);
  const createdAt = date(e, 'created_at', path) ?? startedAt ?? job.createdAt;
  if (createdAt === null) throw new LegacyImportError(`${path}.created_at`, 'is required (an ISO timestamp) when neither started_at nor job.created_at is given');
  return {
    id,
    status: str(e, 'status', path).trim().toLowerCase(),
    region: str(e, 'region', path),
    providerId: firstString(e.provider_id, output.provider, details.provider_id) ?? 'legacy',
    modelId,
    questionId: q === '' ? null : (q as string | null | undefined) ?? null,
    startedAt,
    completedAt: date(e, 'completed_at', path),
    createdAt,
    response: firstString(output.response, receiptOutput.response) ?? (typeof output.response === 'string' ? output.response : null),
    classification: typeof e.response_classification === 'string' ? e.response_classification : null,
    systemPrompt: firstString(e.system_prompt, meta.system_prompt, receiptOutput.system_prompt),
    userPrompt: firstString(meta.prompt, receiptOutput.prompt),
    parameters,
    raw: e,
  };
}

/** Checks a parsed export and returns it typed, or throws a {@link LegacyImportError} naming the field. */
export function parseLegacyDocument(parsed: unknown): LegacyDocument {
  // NUL characters and unpaired surrogates (which text and jsonb columns reject) become U+FFFD; the rest is kept.
  const doc = storableValue(parsed);
  if (!isObj(doc)) throw new LegacyImportError('(document)', 'must be a JSON object with job and executions');
  const job = doc.job;
  if (!isObj(job)) throw new LegacyImportError('job', 'must be an object');
  const id = job.id;
  if (!(typeof id === 'number' && Number.isInteger(id)) && !(typeof id === 'string' && id !== '')) {
    throw new LegacyImportError('job.id', 'must be an integer or a non-empty string');
  }
  const jobspecId = str(job, 'jobspec_id', 'job');
  const status = str(job, 'status', 'job').trim().toLowerCase();
  const spec = objectField(job.jobspec_data);
  if (!isObj(job.jobspec_data) && Object.keys(spec).length === 0) throw new LegacyImportError('job.jobspec_data', 'must be an object');
  const createdAt = date(job, 'created_at', 'job');
  const seen = new Set<number>();
  const executions = executionList(doc.executions).map((e, i) => {
    const parsed = parseExecution(e, `executions[${i}]`, { id, jobspecId, createdAt });
    if (seen.has(parsed.id)) throw new LegacyImportError(`executions[${i}].id`, `${parsed.id} appears twice`);
    seen.add(parsed.id);
    return parsed;
  });
  return { job: { id, jobspecId, status, createdAt, updatedAt: date(job, 'updated_at', 'job'), spec }, executions };
}

/**
 * Checks one export file's parsed content: one `{job, executions}` document or an array of them. Errors name the
 * document's index (`[2].executions[5].id`) when there are several.
 */
export function parseLegacyDocuments(parsed: unknown): LegacyDocument[] {
  if (!Array.isArray(parsed)) return [parseLegacyDocument(parsed)];
  if (parsed.length === 0) throw new LegacyImportError('(document)', 'is an empty array; expected {job, executions} documents');
  return parsed.map((doc, i) => {
    try {
      return parseLegacyDocument(doc);
    } catch (err) {
      if (err instanceof LegacyImportError) throw new LegacyImportError(`[${i}].${err.field}`, err.message.slice(err.field.length + 2));
      throw err;
    }
  });
}

/** A best-effort normalised spec of a legacy job: unknown names are kept, free-text questions get a hashed id. */
export function lenientSpec(doc: LegacyDocument, config: BeaconConfig = defaultConfig()): NormalisedJobSpec {
  const s = doc.job.spec;
  const questions: PlannedQuestion[] = [];
  for (const q of Array.isArray(s.questions) ? s.questions : []) {
    if (typeof q === 'string') {
      const bank = config.questions[q];
      questions.push(bank ? { id: bank.id, text: bank.text, category: bank.category, source: 'bank' }
        : { id: `q-${sha256Hex(q).slice(0, 12)}`, text: q, category: null, source: 'inline' });
    } else if (isObj(q) && typeof q.id === 'string') {
      questions.push({ id: q.id, text: typeof q.text === 'string' ? q.text : config.questions[q.id]?.text ?? '', category: null, source: 'inline' });
    }
  }
  const meta = isObj(s.metadata) ? s.metadata : {};
  const modelIds = (Array.isArray(meta.models) ? meta.models : Array.isArray(s.models) ? s.models : [])
    .map((m) => (typeof m === 'string' ? m : isObj(m) && typeof m.id === 'string' ? m.id : null))
    .filter((m): m is string => m !== null);
  const constraints = isObj(s.constraints) ? s.constraints : {};
  const regionNames = (Array.isArray(constraints.regions) ? constraints.regions : Array.isArray(s.regions) ? s.regions : [])
    .filter((r): r is string => typeof r === 'string');
  const regions: { id: string; displayName: string }[] = [];
  for (const name of regionNames) {
    const id = resolveRegion(config, name) ?? name;
    if (!regions.some((r) => r.id === id)) regions.push({ id, displayName: config.regions[id]?.displayName ?? name });
  }
  const models = [...new Set(modelIds)].map((id) => ({ id, name: config.models[id]?.name ?? id }));
  const benchmark = isObj(s.benchmark) ? s.benchmark : {};
  const cells = Math.max(1, questions.length * models.length * regions.length);
  return {
    id: doc.job.jobspecId,
    format: 'go-runner',
    version: typeof s.version === 'string' ? s.version : 'v1',
    benchmark: {
      name: typeof benchmark.name === 'string' ? benchmark.name : 'legacy',
      version: typeof benchmark.version === 'string' ? benchmark.version : null,
      description: typeof benchmark.description === 'string' ? benchmark.description : null,
    },
    questions, models, regions,
    repeats: 1,
    constraints: {
      minRegions: typeof constraints.min_regions === 'number' ? constraints.min_regions : 1,
      minSuccessRate: typeof constraints.min_success_rate === 'number' ? constraints.min_success_rate : DEFAULT_MIN_SUCCESS_RATE,
      timeoutMs: null, providerTimeoutMs: null,
    },
    parameters: { temperature: config.defaults.temperature, maxTokens: config.defaults.maxTokens, maxAttempts: 1 },
    prompt: { ...config.prompt },
    createdBy: null,
    createdAt: typeof s.created_at === 'string' ? s.created_at : null,
    cells,
  };
}

/** The Go runner's job and execution statuses in Beacon's vocabulary (anything else imports as failed). */
const JOB_STATUS: Record<string, JobStatus> = { completed: 'completed', failed: 'failed', cancelled: 'cancelled' };
const EXEC_STATE: Record<string, ExecutionState> = { completed: 'succeeded', failed: 'failed', timeout: 'failed', error: 'failed', cancelled: 'cancelled' };

/** What importing one document did. */
export interface ImportResult {
  jobId: string;
  jobCreated: boolean;
  imported: number;
  alreadyPresent: number;
}

function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Executions written per statement pair (executions, then their attempts). */
const IMPORT_CHUNK = 2000;

/**
 * Inserts one chunk of executions (those already imported are skipped by the legacy key) and one attempt for each
 * execution inserted, two statements in all. Returns how many executions were inserted.
 */
async function importChunk(tx: EntityManager, jobId: string, chunk: readonly LegacyExecution[], texts: ReadonlyMap<string, string>): Promise<number> {
  const rows = chunk.map((e) => {
    const state: ExecutionState = EXEC_STATE[e.status] ?? 'failed';
    const started = e.startedAt ?? e.createdAt;
    const finished = e.completedAt && e.completedAt >= started ? e.completedAt : started;
    const system = e.systemPrompt ?? '';
    const user = e.userPrompt ?? (e.questionId ? texts.get(e.questionId) ?? '' : '');
    return { e, state, started, finished, system, user, traceId: sha256Hex(`legacy:${jobId}:${e.id}`).slice(0, 32) };
  });
  const inserted = await query<{ id: string; legacy_id: string }>(tx,
    `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, attempts, failures, max_attempts,
                             trace_id, result_attempt, response, classification, created_at, updated_at, started_at,
                             finished_at, run_after, imported, legacy_id, legacy_question_id, legacy_status, legacy_data)
     SELECT $1, u.question_id, u.model_id, u.region, 0, u.state, 1, CASE WHEN u.state = ${CELL_SQL.failed} THEN 1 ELSE 0 END, 1,
            u.trace_id, CASE WHEN u.state = ${CELL_SQL.succeeded} THEN 1 END, u.response, u.classification, u.created_at, u.finished_at,
            u.started_at, u.finished_at, u.created_at, true, u.legacy_id, u.legacy_question_id, u.legacy_status, u.legacy_data::jsonb
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
                   $10::timestamptz[], $11::timestamptz[], $12::bigint[], $13::text[], $14::text[], $15::text[])
         AS u(question_id, model_id, region, state, trace_id, response, classification, created_at, started_at, finished_at,
              legacy_id, legacy_question_id, legacy_status, legacy_data)
     ON CONFLICT (job_id, legacy_id) WHERE imported DO NOTHING
     RETURNING id, legacy_id`,
    [jobId, rows.map((r) => r.e.questionId ?? '(batch)'), rows.map((r) => r.e.modelId), rows.map((r) => r.e.region),
      rows.map((r) => r.state), rows.map((r) => r.traceId), rows.map((r) => r.e.response), rows.map((r) => r.e.classification),
      rows.map((r) => r.e.createdAt.toISOString()), rows.map((r) => r.started.toISOString()), rows.map((r) => r.finished.toISOString()),
      rows.map((r) => r.e.id), rows.map((r) => r.e.questionId), rows.map((r) => r.e.status), rows.map((r) => JSON.stringify(r.e.raw))]);
  if (inserted.length === 0) return 0;
  const byLegacyId = new Map(rows.map((r) => [String(r.e.id), r]));
  const attempts = inserted.map(({ id, legacy_id }) => ({ executionId: id, ...byLegacyId.get(String(legacy_id))! }));
  await query(tx,
    `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                     system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, response, trace_id)
     SELECT u.execution_id, $1, 1, u.runner_id, u.lease_token, u.started_at, u.ended_at, u.outcome, u.system_prompt,
            u.user_prompt, u.parameters::jsonb, u.prompt_hash, u.parameters_hash, u.response, u.trace_id
       FROM unnest($2::bigint[], $3::text[], $4::uuid[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
         AS u(execution_id, runner_id, lease_token, started_at, ended_at, outcome, system_prompt, user_prompt, parameters,
              prompt_hash, parameters_hash, response, trace_id)`,
    [jobId, attempts.map((a) => a.executionId), attempts.map((a) => a.e.providerId),
      attempts.map((a) => uuidOf(sha256Hex(`lease:${jobId}:${a.e.id}`))), attempts.map((a) => a.started.toISOString()),
      attempts.map((a) => a.finished.toISOString()),
      attempts.map((a): AttemptOutcome => (a.state === 'succeeded' ? 'succeeded' : a.state === 'cancelled' ? 'cancelled' : 'final_error')),
      attempts.map((a) => a.system), attempts.map((a) => a.user), attempts.map((a) => JSON.stringify(a.e.parameters)),
      attempts.map((a) => sha256Hex(canonicalJson({ system: a.system, user: a.user }))),
      attempts.map((a) => sha256Hex(canonicalJson(a.e.parameters))), attempts.map((a) => a.e.response), attempts.map((a) => a.traceId)]);
  return inserted.length;
}

/**
 * Writes one export in one transaction, keeping the original ids: the job (id = the jobspec id), one executions row
 * and one execution_attempts row per exported execution. Rows already imported are left as they are.
 */
export async function importLegacyDocument(
  ds: DataSource, doc: LegacyDocument, config: BeaconConfig = defaultConfig(), onProgress?: (done: number, total: number) => void,
): Promise<ImportResult> {
  const spec = lenientSpec(doc, config);
  const jobId = spec.id;
  // updated_at is the import time (the legacy times stay in created/started/finished_at), so that the daemon's next
  // incremental reconciler pass, which looks at jobs changed since its last run, checks the imported job.
  return ds.transaction(async (tx: EntityManager) => {
    const finishedAt = doc.job.updatedAt ?? doc.job.createdAt;
    const inserted = await query(tx,
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, status, cells_expected, imported, legacy_id,
                         created_at, updated_at, started_at, finished_at)
       VALUES ($1, 'go-runner', $2, $3, $4, $5, $6, true, $7, coalesce($8, now()), now(), $8, coalesce($9, $8, now()))
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [jobId, JSON.stringify(doc.job.spec), sha256Hex(canonicalJson(doc.job.spec)), JSON.stringify(spec),
        JOB_STATUS[doc.job.status] ?? 'failed', spec.cells, String(doc.job.id), doc.job.createdAt, finishedAt]);
    if (inserted.length === 0) {
      const [row] = await query<{ imported: boolean; legacy_id: string | null }>(tx, 'SELECT imported, legacy_id FROM jobs WHERE id = $1', [jobId]);
      if (!row?.imported) throw new LegacyImportError('job.jobspec_id', `job ${jobId} already exists and was not imported`);
      if (row.legacy_id !== String(doc.job.id)) {
        throw new LegacyImportError('job.id', `job ${jobId} was imported from legacy job ${row.legacy_id}, not ${String(doc.job.id)}`);
      }
    }
    const texts = new Map(spec.questions.map((q) => [q.id, q.text]));
    let imported = 0;
    for (let from = 0; from < doc.executions.length; from += IMPORT_CHUNK) {
      imported += await importChunk(tx, jobId, doc.executions.slice(from, from + IMPORT_CHUNK), texts);
      onProgress?.(Math.min(from + IMPORT_CHUNK, doc.executions.length), doc.executions.length);
    }
    return { jobId, jobCreated: inserted.length > 0, imported, alreadyPresent: doc.executions.length - imported };
  });
}
