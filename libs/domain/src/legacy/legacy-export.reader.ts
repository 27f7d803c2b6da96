import { storableValue } from '../job-spec/spec-text.checks.js';

/** A Go runner export that cannot be imported; `field` names what is wrong. */
export class LegacyImportError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
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
  job: {
    id: number | string;
    jobspecId: string;
    status: string;
    createdAt: Date | null;
    updatedAt: Date | null;
    spec: Obj;
    /** The exported job object as it is, without its `jobspec_data` (kept as `spec`), as evidence. */
    raw: Obj;
  };
  executions: LegacyExecution[];
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The text of an export file: one JSON value (a document or an array of them), or JSON Lines (one document per
 * line); a leading byte-order mark is ignored. Throws a plain `Error` when it is not JSON, naming the line for JSON
 * Lines.
 */
export function parseLegacyExportText(text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(body);
  } catch (whole) {
    const lines = body.split('\n');
    if (lines.filter((l) => l.trim() !== '').length < 2) throw whole;
    return lines.flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch (err) {
        throw new Error(`line ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }
}

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
  if (Number.isNaN(d.getTime()))
    throw new LegacyImportError(`${path}.${key}`, `must be an ISO timestamp, not ${JSON.stringify(v.slice(0, 40))}`);
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

function parseExecution(
  e: unknown,
  path: string,
  job: { id: number | string; jobspecId: string; createdAt: Date | null },
): LegacyExecution {
  if (!isObj(e)) throw new LegacyImportError(path, 'must be an object');
  const id = legacyId(e.id, `${path}.id`);
  // job_id is whatever JSON the Go runner wrote (its jobspec id or its numeric id): compared, and reported, as its String() text.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a non-scalar keeps its old text ("[object Object]") so it never matches, as before
  const jobRef = e.job_id == null ? null : String(e.job_id);
  if (jobRef !== null && jobRef !== job.jobspecId && jobRef !== String(job.id)) {
    throw new LegacyImportError(`${path}.job_id`, `${jobRef} is not the exported job ${job.jobspecId}`);
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
  if (createdAt === null)
    throw new LegacyImportError(`${path}.created_at`, 'is required (an ISO timestamp) when neither started_at nor job.created_at is given');
  return {
    id,
    status: str(e, 'status', path).trim().toLowerCase(),
    region: str(e, 'region', path),
    providerId: firstString(e.provider_id, output.provider, details.provider_id) ?? 'legacy',
    modelId,
    questionId: q === '' ? null : (q ?? null),
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
  const { jobspec_data: _spec, ...raw } = job;
  return { job: { id, jobspecId, status, createdAt, updatedAt: date(job, 'updated_at', 'job'), spec, raw }, executions };
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
