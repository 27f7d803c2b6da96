import { describe, expect, it } from '@jest/globals';
import type { ClaimedCell } from '@beacon/db';
import { type LiveEvent, decodeLivePayload, encodeLiveEvent } from '@beacon/domain';
import { engineLiveListener } from './engine-live.listener.js';

const cell: ClaimedCell = {
  id: '11',
  jobId: 'job-1',
  questionId: 'q1',
  modelId: 'gpt-x',
  region: 'eu-west',
  variant: '',
  replicate: 1,
  attempt: 2,
  failures: 1,
  maxAttempts: 3,
  leaseToken: 'lt',
  traceId: 'tr',
  leaseLosses: 0,
};

/** The wire rows the listener publishes for `events` (its time replaced by 0). */
function published(...events: Parameters<ReturnType<typeof engineLiveListener>>[0][]): unknown[][] {
  const pushed: LiveEvent[] = [];
  const listener = engineLiveListener({ push: (e) => pushed.push(e) }, 'runner-a');
  for (const e of events) listener(e);
  return pushed.map((e) => encodeLiveEvent({ ...e, at: 0 }));
}

describe(engineLiveListener.name, () => {
  it('publishes a call starting as attempt_started, running on this runner', () => {
    expect(published({ type: 'call_started', cell, attemptId: '13' })).toEqual([
      ['as', 0, 'job-1', '11', '13', 'eu-west', 'gpt-x', 'q1', 'running', null, null, 'runner-a', 2],
    ]);
  });

  it('publishes an attempt with its outcome, classification, latency and the state after it (unchanged: still running)', () => {
    const attempt = {
      type: 'attempt',
      cell,
      attemptId: '13',
      outcome: 'retryable_error',
      state: 'unchanged',
      latencyMs: 840.4,
      httpStatus: 503,
      classification: null,
      category: null,
      failureKind: 'http_5xx',
      error: 'upstream',
      retryInMs: 100,
    } as const;
    expect(
      published(attempt, { ...attempt, outcome: 'succeeded', state: 'succeeded', classification: 'answered', httpStatus: 200 }),
    ).toEqual([
      ['af', 0, 'job-1', '11', '13', 'eu-west', 'gpt-x', 'q1', 'running', 'retryable_error', null, 'runner-a', 2, 840, 503],
      ['af', 0, 'job-1', '11', '13', 'eu-west', 'gpt-x', 'q1', 'succeeded', 'succeeded', 'answered', 'runner-a', 2, 840, 200],
    ]);
  });

  it('publishes each reaped cell as a lease_expired attempt with no attempt row and no runner', () => {
    const reaped = {
      id: '12',
      jobId: 'job-1',
      questionId: 'q2',
      attempt: 1,
      region: 'us-east',
      modelId: 'gpt-x',
      state: 'pending' as const,
      called: true,
    };
    const rows = published({ type: 'reaped', count: 1, cells: [reaped] });
    expect(rows).toEqual([['af', 0, 'job-1', '12', null, 'us-east', 'gpt-x', 'q2', 'pending', 'lease_expired', null, null, 1]]);
    expect(decodeLivePayload(JSON.stringify(rows))[0]).toMatchObject({
      kind: 'attempt_finished',
      runnerId: null,
      attemptId: null,
      attempt: 1,
    });
  });

  it('publishes nothing for the other engine events', () => {
    expect(published({ type: 'job_status', jobId: 'job-1', status: 'completed' }, { type: 'claimed', cells: [cell] })).toEqual([]);
  });
});
