// The analysis worker thread: receives a job's rows page by page, analyses them, and answers with the JSON text, so
// neither the computation, nor the serialisation, nor the redaction of a large analysis runs on the daemon's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { SecretRedactor, type FindingView } from '@beacon/domain';
import { analyseJob } from '../job-analysis.js';
import type { AnalysisCell } from '../rates.js';
import type { AnalysisHeader, AnalysisWorkerData, FromAnalysisWorker, ToAnalysisWorker } from './analysis-worker.protocol.js';

const port = parentPort;
if (!port) throw new Error('analysis.worker must run as a worker thread');

/** The daemon's secrets, hidden here so that the daemon caches and sends the analysis as it is (see the client). */
const redactor = new SecretRedactor((workerData as Partial<AnalysisWorkerData> | null)?.secrets ?? []);
let header: AnalysisHeader | null = null;
const cells: AnalysisCell[] = [];
const findings: FindingView[] = [];

port.on('message', (m: ToAnalysisWorker) => {
  switch (m.type) {
    case 'start':
      header = m.header;
      break;
    case 'cells':
      for (const c of m.cells) cells.push(c);
      break;
    case 'findings':
      for (const f of m.findings) findings.push(f);
      break;
    case 'end':
      finish();
      break;
  }
});
port.postMessage({ type: 'ready' } satisfies FromAnalysisWorker);

function finish(): void {
  const t0 = performance.now();
  let answer: FromAnalysisWorker;
  let transfer: ArrayBuffer[] = [];
  try {
    if (!header) throw new Error('no start message before end');
    // Each string on its own, so that a sample text cut at maxTextChars in the middle of a key is caught too.
    const analysis = redactor.redactDeep(analyseJob({ ...header, now: new Date(header.now), cells, findings }));
    const json = Buffer.from(JSON.stringify(analysis), 'utf8');
    // A fresh ArrayBuffer of exactly the JSON (Buffer.from may share a pooled one), moved to the daemon without a copy.
    const bytes = new Uint8Array(json.length);
    bytes.set(json);
    transfer = [bytes.buffer];
    answer = { type: 'done', json: bytes, ms: performance.now() - t0 };
  } catch (err) {
    answer = { type: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
  port!.postMessage(answer, transfer);
}
