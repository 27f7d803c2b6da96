import type { LivePublisher } from '@beacon/db';
import type { EngineEvent } from '@beacon/engine';

/**
 * Turns the engine's own events into live events: a call starting, a call's outcome with the cell's state after it,
 * and cells the reaper took back after a lost lease (runner unknown: the reaper is not the runner that lost it). Job
 * status and findings come from database triggers, since the API and the reconciler change them too.
 */
export function engineLiveListener(publisher: Pick<LivePublisher, 'push'>, runnerId: string): (e: EngineEvent) => void {
  return (e) => {
    const at = Date.now();
    switch (e.type) {
      case 'call_started': {
        const c = e.cell;
        publisher.push({
          kind: 'attempt_started',
          at,
          jobId: c.jobId,
          executionId: c.id,
          attemptId: e.attemptId,
          region: c.region,
          modelId: c.modelId,
          questionId: c.questionId,
          state: 'running',
          runnerId,
          attempt: c.attempt,
        });
        break;
      }
      case 'attempt': {
        const c = e.cell;
        publisher.push({
          kind: 'attempt_finished',
          at,
          jobId: c.jobId,
          executionId: c.id,
          attemptId: e.attemptId,
          region: c.region,
          modelId: c.modelId,
          questionId: c.questionId,
          state: e.state === 'unchanged' ? 'running' : e.state,
          outcome: e.outcome,
          classification: e.classification,
          runnerId,
          attempt: c.attempt,
          latencyMs: Math.round(e.latencyMs),
          httpStatus: e.httpStatus,
        });
        break;
      }
      case 'reaped':
        for (const c of e.cells) {
          publisher.push({
            kind: 'attempt_finished',
            at,
            jobId: c.jobId,
            executionId: c.id,
            region: c.region,
            modelId: c.modelId,
            questionId: c.questionId,
            state: c.state,
            outcome: 'lease_expired',
            attempt: c.attempt,
          });
        }
        break;
      default:
        break;
    }
  };
}
