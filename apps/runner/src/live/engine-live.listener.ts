import type { LivePublisher } from '@beacon/db';
import type { EngineEvent } from '@beacon/engine';

/**
 * Turns the engine's own events into live events (see `decodeLivePayload` for the positional layout): a call starting,
 * a call's outcome with the cell's state after it, and cells the reaper took back after a lost lease (runner unknown:
 * the reaper is not the runner that lost it). Job status and
 * findings come from database triggers, since the API and the reconciler change them too.
 */
export function engineLiveListener(publisher: LivePublisher, runnerId: string): (e: EngineEvent) => void {
  return (e) => {
    const now = Date.now();
    switch (e.type) {
      case 'call_started': {
        const c = e.cell;
        publisher.push(['as', now, c.jobId, c.id, e.attemptId, c.region, c.modelId, c.questionId, 'running', null, null, runnerId, c.attempt]);
        break;
      }
      case 'attempt': {
        const c = e.cell;
        publisher.push(['af', now, c.jobId, c.id, e.attemptId, c.region, c.modelId, c.questionId,
          e.state === 'unchanged' ? 'running' : e.state, e.outcome, e.classification, runnerId, c.attempt, Math.round(e.latencyMs), e.httpStatus]);
        break;
      }
      case 'reaped':
        for (const c of e.cells) {
          publisher.push(['af', now, c.jobId, c.id, null, c.region, c.modelId, c.questionId, c.state, 'lease_expired', null, null, c.attempt]);
        }
        break;
      default:
        break;
    }
  };
}
