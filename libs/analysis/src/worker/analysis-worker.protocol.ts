import type { FindingView } from '@beacon/domain';
import type { AnalysisInput } from '../job-analysis.js';
import type { AnalysisCell } from '../rates.js';

/** What a worker is started with: the secret values to hide in its answer (see AnalysisWorkerLimits.secrets). */
export interface AnalysisWorkerData {
  secrets: string[];
}

/** What the analysis needs besides the rows: the job's axes and the method's settings. */
export type AnalysisHeader = Omit<AnalysisInput, 'cells' | 'findings' | 'now'> & { now: string };

/**
 * Messages to the analysis worker, in this order: one `start`, any number of `cells` pages, one `findings`, one `end`.
 * Rows arrive a page at a time, so the daemon never holds a whole job's text at once.
 */
export type ToAnalysisWorker =
  | { type: 'start'; header: AnalysisHeader }
  | { type: 'cells'; cells: AnalysisCell[] }
  | { type: 'findings'; findings: FindingView[] }
  | { type: 'end' };

/**
 * From the worker: `ready` once it listens (messages sent to a worker still loading its modules can be lost, so the
 * daemon holds them until then), then one answer: the analysis as UTF-8 JSON (its buffer transferred, not copied), or
 * why it failed.
 */
export type FromAnalysisWorker = { type: 'ready' } | { type: 'done'; json: Uint8Array; ms: number } | { type: 'failed'; message: string };
