import {
  canonicalJson, defaultConfig, resolveRegion, sha256Hex, type BeaconConfig, type NormalisedJobSpec, type PlannedQuestion,
} from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { query } from '../repositories/query.js';

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

function date(o: Obj, key: string, path: string, required: boolean): Date | null {
  const v = o[key];
  if (v == null) {
    if (required) throw new LegacyImportError(`${path}.${key}`, 'is required (an ISO timestamp)');
    return null;
  }
  const d = typeof v === 'string' ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw new LegacyImportError(`${path}.${key}`, 'must be an ISO timestamp');
  return d;
}

/** Checks a parsed export and returns it typed, or throws a {@link LegacyImportError} naming the field. */
export function parseLegacyDocument(doc: unknown): LegacyDocument {
  if (!isObj(doc)) throw new LegacyImportError('(document)', 'must be a JSON object with job and executions');
  const job = doc.job;
  if (!isObj(job)) throw new LegacyImportError('job', 'must be an object');
  const id = job.id;
  if (!(typeof id === 'number' && Number.isInteger(id)) && !(typeof id === 'string' && id !== '')) {
    throw new LegacyImportError('job.id', 'must be an integer or a non-empty string');
  }
  const jobspecId = str(job, 'jobspec_id', 'job');
  const status = str(job, 'status', 'job');
  const spec = job.jobspec_data;
  if (!isObj(spec)) throw new LegacyImportError('job.jobspec_data', 'must be an object');
  if (!Array.isArray(doc.executions)) throw new LegacyImportError('executions', 'must be an array');
  const seen = new Set<number>();
  const executions = doc.executions.map((e: unknown, i): LegacyExecution => {
    const path = `executions[${i}]`;
    if (!isObj(e)) throw new LegacyImportError(path, 'must be an object');
    if (typeof e.id !== 'number' || !Number.isSafeInteger(e.id)) throw new LegacyImportError(`${path}.id`, 'must be an integer');
    if (seen.has(e.id)) throw new LegacyImportError(`${path}.id`, `${e.id} appears twice`);
    seen.add(e.id);
    if (e.job_id != null && String(e.job_id) !== jobspecId && String(e.job_id) !== String(id)) {
      throw new LegacyImportError(`${path}.job_id`, `${String(e.job_id)} is not the exported job ${jobspecId}`);
    }
    const q = e.question_id;
    if (q != null && typeof q !== 'string') throw new LegacyImportError(`${path}.question_id`, 'must be a string or null');
    const output = isObj(e.output) ? e.output : {};
    const meta = isObj(output.metadata) ? output.metadata : {};
    const parameters: Obj = {};
    for (const k of ['model', 'temperature', 'max_tokens']) if (meta[k] !== undefined) parameters[k] = meta[k];
    return {
      id: e.id,
      status: str(e, 'status', path),
      region: str(e, 'region', path),
      providerId: typeof e.provider_id === 'string' && e.provider_id !== '' ? e.provider_id : 'legacy',
      modelId: str(e, 'model_id', path),
      questionId: q === '' ? null : (q as string | null | undefined) ?? null,
      startedAt: date(e, 'started_at', path, false),
      completedAt: date(e, 'completed_at', path, false),
      createdAt: date(e, 'created_at', path, true)!,
      response: typeof output.response === 'string' ? output.response : null,
      classification: typeof e.response_classification === 'string' ? e.response_classification : null,
      systemPrompt: typeof e.system_prompt === 'string' ? e.system_prompt
        : typeof meta.system_prompt === 'string' ? meta.system_prompt : null,
      userPrompt: typeof meta.prompt === 'string' ? meta.prompt : null,
      parameters,
      raw: e,
    };
  });
  return {
    job: { id, jobspecId, status, createdAt: date(job, 'created_at', 'job', false), updatedAt: date(job, 'updated_at', 'job', false), spec },
    executions,
  };
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
      minSuccessRate: typeof constraints.min_success_rate === 'number' ? constraints.min_success_rate : 0.67,
      timeoutMs: null, providerTimeoutMs: null,
    },
    parameters: { temperature: config.defaults.temperature, maxTokens: config.defaults.maxTokens, maxAttempts: 1 },
    prompt: { ...config.prompt },
    createdBy: null,
    createdAt: typeof s.created_at === 'string' ? s.created_at : null,
    cells,
  };
}

const JOB_STATUS: Record<string, string> = { completed: 'completed', failed: 'failed', cancelled: 'cancelled' };
const EXEC_STATE: Record<string, string> = { completed: 'succeeded', failed: 'failed', timeout: 'failed', error: 'failed', cancelled: 'cancelled' };

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

/**
 * Writes one export in one transaction, keeping the original ids: the job (id = the jobspec id), one executions row
 * and one execution_attempts row per exported execution. Rows already imported are left as they are.
 */
export async function importLegacyDocument(ds: DataSource, doc: LegacyDocument, config: BeaconConfig = defaultConfig()): Promise<ImportResult> {
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
    for (const e of doc.executions) {
      const state = EXEC_STATE[e.status] ?? 'failed';
      const started = e.startedAt ?? e.createdAt;
      const finished = e.completedAt && e.completedAt >= started ? e.completedAt : started;
      const traceId = sha256Hex(`legacy:${jobId}:${e.id}`).slice(0, 32);
      const rows = await query<{ id: string }>(tx,
        `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, attempts, failures, max_attempts,
                                 trace_id, result_attempt, response, classification, created_at, updated_at, started_at,
                                 finished_at, run_after, imported, legacy_id, legacy_question_id, legacy_status, legacy_data)
         VALUES ($1, $2, $3, $4, 0, $5, 1, $6, 1, $7, $8, $9, $10, $11, $13, $12, $13, $11, true, $14, $15, $16, $17)
         ON CONFLICT (job_id, legacy_id) WHERE imported DO NOTHING RETURNING id`,
        [jobId, e.questionId ?? '(batch)', e.modelId, e.region, state, state === 'failed' ? 1 : 0, traceId,
          state === 'succeeded' ? 1 : null, e.response, e.classification, e.createdAt, started, finished, e.id,
          e.questionId, e.status, JSON.stringify(e.raw)]);
      const executionId = rows[0]?.id;
      if (!executionId) continue;
      imported += 1;
      const system = e.systemPrompt ?? '';
      const user = e.userPrompt ?? (e.questionId ? texts.get(e.questionId) ?? '' : '');
      await query(tx,
        `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                         system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, response, trace_id)
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [executionId, jobId, e.providerId, uuidOf(sha256Hex(`lease:${jobId}:${e.id}`)), started, finished,
          state === 'succeeded' ? 'succeeded' : state === 'cancelled' ? 'cancelled' : 'final_error', system, user,
          JSON.stringify(e.parameters), sha256Hex(canonicalJson({ system, user })), sha256Hex(canonicalJson(e.parameters)),
          e.response, traceId]);
    }
    return { jobId, jobCreated: inserted.length > 0, imported, alreadyPresent: doc.executions.length - imported };
  });
}
