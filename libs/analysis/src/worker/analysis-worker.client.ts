import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { AnalysisWorkerData, FromAnalysisWorker, ToAnalysisWorker } from './analysis-worker.protocol.js';

/** Limits of one analysis worker. */
export interface AnalysisWorkerLimits {
  /** Wall-clock budget of the whole computation; past it the worker is terminated. */
  timeoutMs: number;
  /** V8 old-generation heap of the worker (MiB): a job too large to analyse ends that worker, never the daemon. */
  maxHeapMb: number;
  /**
   * The secret values the daemon knows of: the worker hides them (and the shapes of well-known credentials) in the
   * analysis before answering, so the daemon caches and sends a redacted analysis without scanning it again.
   */
  secrets?: readonly string[];
}

/** Why an analysis did not produce a result. */
export class AnalysisWorkerError extends Error {
  constructor(
    readonly reason: 'timeout' | 'out_of_memory' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'AnalysisWorkerError';
  }
}

/**
 * One analysis in its own worker thread (a fresh thread per computation: analyses are rare and cached, and a thread
 * that is terminated on timeout leaves nothing behind). Feed it with {@link send}, then {@link end}; {@link result}
 * settles once: the JSON bytes, or an {@link AnalysisWorkerError}.
 */
export class AnalysisWorkerRun {
  /** The JSON and the worker's computing time in ms (from the last row received). */
  readonly result: Promise<{ json: Buffer; ms: number }>;
  private readonly worker: Worker;
  private done = false;
  /** Messages held until the worker says it is listening; null once it has. */
  private pending: ToAnalysisWorker[] | null = [];

  constructor(limits: AnalysisWorkerLimits) {
    this.worker = spawnWorker(limits.maxHeapMb, [...(limits.secrets ?? [])]);
    this.worker.unref();
    let timer: NodeJS.Timeout | undefined;
    this.result = new Promise<{ json: Buffer; ms: number }>((resolve, reject) => {
      const settle = (fn: () => void) => {
        if (this.done) return;
        this.done = true;
        clearTimeout(timer);
        fn();
        void this.worker.terminate();
      };
      timer = setTimeout(
        () =>
          settle(() => reject(new AnalysisWorkerError('timeout', `the analysis took longer than its budget of ${limits.timeoutMs} ms`))),
        limits.timeoutMs,
      );
      timer.unref();
      this.worker.on('message', (m: FromAnalysisWorker) => {
        if (m.type === 'ready') {
          const held = this.pending ?? [];
          this.pending = null;
          for (const x of held) this.worker.postMessage(x);
          return;
        }
        settle(() =>
          m.type === 'done'
            ? resolve({ json: Buffer.from(m.json.buffer, m.json.byteOffset, m.json.byteLength), ms: m.ms })
            : reject(new AnalysisWorkerError('failed', m.message)),
        );
      });
      this.worker.on('error', (err: Error & { code?: string }) =>
        settle(() =>
          reject(
            err.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new AnalysisWorkerError('out_of_memory', `the analysis needed more than its ${limits.maxHeapMb} MiB heap`)
              : new AnalysisWorkerError('failed', err.message),
          ),
        ),
      );
      this.worker.on('exit', (code) =>
        settle(() => reject(new AnalysisWorkerError('failed', `the analysis worker exited with code ${code}`))),
      );
    });
    // Whoever awaits `result` sees the error; this only keeps an unobserved rejection from being reported as unhandled.
    this.result.catch(() => undefined);
  }

  /** True once the result has settled (done, failed or out of time): nothing more needs sending. */
  get settled(): boolean {
    return this.done;
  }

  /** Sends one message (a page of rows is structured-cloned; the page can be dropped right after). */
  send(m: ToAnalysisWorker): void {
    if (this.done) return;
    if (this.pending) this.pending.push(m);
    else this.worker.postMessage(m);
  }

  /** Stops the worker (the result rejects if it had not settled). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** The compiled worker next to this file, or, when running from the TypeScript sources, the sources through swc hooks. */
function spawnWorker(maxHeapMb: number, secrets: string[]): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: maxHeapMb };
  const compiled = new URL('./analysis.worker.js', import.meta.url);
  const workerData: AnalysisWorkerData = { secrets };
  if (!import.meta.url.endsWith('.ts') || existsSync(compiled)) return new Worker(compiled, { resourceLimits, workerData });
  return new Worker(new URL('./source-bootstrap.mjs', import.meta.url), {
    resourceLimits,
    workerData: { ...workerData, sourceEntry: new URL('./analysis.worker.ts', import.meta.url).href },
  });
}
