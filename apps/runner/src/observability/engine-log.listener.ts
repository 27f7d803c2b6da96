import type { EngineEvent } from '@beacon/engine';
import type { Logger } from '@beacon/observability';

/** Writes engine events as structured log lines naming the execution, job and trace they are about. */
export function engineLogListener(log: Logger): (e: EngineEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'attempt': {
        const fields = {
          execution_id: e.cell.id,
          job_id: e.cell.jobId,
          trace_id: e.cell.traceId,
          region: e.cell.region,
          model: e.cell.modelId,
          question_id: e.cell.questionId,
          attempt: e.cell.attempt,
          outcome: e.outcome,
          state: e.state,
          http_status: e.httpStatus,
          latency_ms: e.latencyMs,
          classification: e.classification,
          error: e.error,
          retry_in_ms: e.retryInMs,
        };
        if (e.outcome === 'succeeded') log.debug(fields, 'attempt succeeded');
        else if (e.outcome === 'fenced') log.warn(fields, 'late result fenced off: another claim owns this cell');
        else log.info(fields, `attempt ${e.outcome}`);
        break;
      }
      case 'reaped':
        log.warn({ count: e.count }, 'expired leases returned to the queue');
        break;
      case 'key_limit':
        log.info({ key: e.key, override: e.override, limit: e.limit }, `concurrency of ${e.key} now ${e.limit}`);
        break;
      case 'breaker':
        log.warn({ key: e.key, breaker: e.state }, `circuit ${e.state}`);
        break;
      case 'lease_lost':
        log.warn({ execution_ids: e.cellIds, reason: e.reason }, 'lost leases; calls aborted');
        break;
      case 'job_status':
        log.info({ job_id: e.jobId, status: e.status }, `job ${e.status}`);
        break;
      case 'error':
        log.error({ where: e.where }, e.message);
        break;
      default:
        break;
    }
  };
}
