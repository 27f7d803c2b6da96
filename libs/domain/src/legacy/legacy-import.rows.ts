import type { BeaconConfig } from '../config/config.types.js';
import { defaultConfig } from '../config/default-config.data.js';
import { canonicalJson, sha256Hex } from '../json/canonical-json.js';
import type { NormalisedJobSpec } from '../job-spec/job-spec.types.js';
import type { AttemptOutcome, ExecutionState, JobStatus } from '../status/job-status.js';
import type { LegacyDocument, LegacyExecution } from './legacy-export.reader.js';
import { lenientSpec } from './legacy-spec.normaliser.js';

/** The jobs row of an imported export (its id is the jobspec id; the Go runner's own id is kept as `legacyId`). */
export interface LegacyJobRow {
  id: string;
  legacyId: string;
  /** The exported jobspec as JSON text, and the hash of its canonical form. */
  specReceived: string;
  specHash: string;
  spec: NormalisedJobSpec;
  /** Beacon's word for the exported status (anything not completed, failed or cancelled reads as failed). */
  status: JobStatus;
  /** The export's own status word (trimmed, lower case), and the exported job without its spec as JSON text, as evidence. */
  legacyStatus: string;
  legacyData: string;
  cellsExpected: number;
  /** Null when the export does not say (the store then uses the import time). */
  createdAt: Date | null;
  finishedAt: Date | null;
}

/** The one execution_attempts row of an imported execution (the export records one call per execution). */
export interface LegacyAttemptRow {
  runnerId: string;
  leaseToken: string;
  outcome: AttemptOutcome;
  systemPrompt: string;
  userPrompt: string;
  /** The call's parameters as JSON text, and the hashes the attempt is compared by. */
  parameters: string;
  promptHash: string;
  parametersHash: string;
}

/** The executions row of one exported execution, with its attempt. */
export interface LegacyExecutionRow {
  legacyId: number;
  /** `(batch)` when the export does not name the question (the Go runner's batch mode); the export's own in `legacyQuestionId`. */
  questionId: string;
  legacyQuestionId: string | null;
  modelId: string;
  region: string;
  state: ExecutionState;
  legacyStatus: string;
  traceId: string;
  response: string | null;
  classification: string | null;
  createdAt: Date;
  startedAt: Date;
  /**
   * The export's completion time as it is, even when it is before `startedAt` (the reconciler's `impossible_times`
   * flags that; an import normalises formats, never facts). A missing one reads as `startedAt`, since a finished cell
   * must have a finish time; the export's own fields stay in `legacyData`.
   */
  finishedAt: Date;
  /** The exported row as JSON text, kept as evidence. */
  legacyData: string;
  attempt: LegacyAttemptRow;
}

/** A checked export as the rows to store. */
export interface LegacyImport {
  job: LegacyJobRow;
  /** How many executions the export holds. */
  executionCount: number;
  /**
   * The rows of executions [from, to) in export order, built on demand so that a large export is not held in memory
   * twice while it is written in chunks.
   */
  executionRows(from: number, to: number): LegacyExecutionRow[];
}

const JOB_STATUS: Readonly<Record<string, JobStatus>> = { completed: 'completed', failed: 'failed', cancelled: 'cancelled' };
const EXEC_STATE: Readonly<Record<string, ExecutionState>> = {
  completed: 'succeeded',
  failed: 'failed',
  timeout: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
};
/** The question id of an execution the Go runner ran in batch mode (without naming the question). */
export const LEGACY_BATCH_QUESTION = '(batch)';

function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function executionRow(jobId: string, e: LegacyExecution, texts: ReadonlyMap<string, string>): LegacyExecutionRow {
  const state = EXEC_STATE[e.status] ?? 'failed';
  const started = e.startedAt ?? e.createdAt;
  const finished = e.completedAt ?? started;
  const system = e.systemPrompt ?? '';
  const user = e.userPrompt ?? (e.questionId ? (texts.get(e.questionId) ?? '') : '');
  return {
    legacyId: e.id,
    questionId: e.questionId ?? LEGACY_BATCH_QUESTION,
    legacyQuestionId: e.questionId,
    modelId: e.modelId,
    region: e.region,
    state,
    legacyStatus: e.status,
    // Derived from the ids, so that importing again yields the same trace and lease token.
    traceId: sha256Hex(`legacy:${jobId}:${e.id}`).slice(0, 32),
    response: e.response,
    classification: e.classification,
    createdAt: e.createdAt,
    startedAt: started,
    finishedAt: finished,
    legacyData: JSON.stringify(e.raw),
    attempt: {
      runnerId: e.providerId,
      leaseToken: uuidOf(sha256Hex(`lease:${jobId}:${e.id}`)),
      outcome: state === 'succeeded' ? 'succeeded' : state === 'cancelled' ? 'cancelled' : 'final_error',
      systemPrompt: system,
      userPrompt: user,
      parameters: JSON.stringify(e.parameters),
      promptHash: sha256Hex(canonicalJson({ system, user })),
      parametersHash: sha256Hex(canonicalJson(e.parameters)),
    },
  };
}

/**
 * The rows that store one checked export: the job under its jobspec id with a lenient normalised spec, and for each
 * execution an executions row and one attempt. Statuses map onto Beacon's (anything unknown reads as failed); a
 * prompt the export lacks is taken from the spec's question text.
 */
export function legacyImportRows(doc: LegacyDocument, config: BeaconConfig = defaultConfig()): LegacyImport {
  const spec = lenientSpec(doc, config);
  const jobId = spec.id;
  const texts = new Map(spec.questions.map((q) => [q.id, q.text]));
  return {
    job: {
      id: jobId,
      legacyId: String(doc.job.id),
      specReceived: JSON.stringify(doc.job.spec),
      specHash: sha256Hex(canonicalJson(doc.job.spec)),
      spec,
      status: JOB_STATUS[doc.job.status] ?? 'failed',
      legacyStatus: doc.job.status,
      legacyData: JSON.stringify(doc.job.raw),
      cellsExpected: spec.cells,
      createdAt: doc.job.createdAt,
      finishedAt: doc.job.updatedAt ?? doc.job.createdAt,
    },
    executionCount: doc.executions.length,
    executionRows: (from, to) => doc.executions.slice(from, to).map((e) => executionRow(jobId, e, texts)),
  };
}
