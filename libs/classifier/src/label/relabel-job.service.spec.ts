import { describe, expect, it } from '@jest/globals';
import { CLASSIFIER_VERSION } from '../rules/classifier.js';
import { createLabeller } from './labeller.js';
import { RelabelJobService, type RelabelCandidate, type RelabelRecord, type RelabelStore } from './relabel-job.service.js';

const noChat = () => {
  throw new Error('no judge configured: the chat client is never opened');
};

/** A store holding one job's results; `labelled` executions already have a label of the rules' version. */
function store(status: string | null, results: RelabelCandidate[], labelled: string[] = []): RelabelStore & { recorded: RelabelRecord[] } {
  const recorded: RelabelRecord[] = [];
  return {
    recorded,
    jobStatus() {
      return Promise.resolve(status);
    },
    results() {
      return Promise.resolve(results);
    },
    record(records) {
      recorded.push(...records);
      return Promise.resolve(new Set(records.map((r) => r.executionId).filter((id) => !labelled.includes(id))));
    },
  };
}

const result = (executionId: string, response: string | null, currentRule: string | null = null): RelabelCandidate => ({
  executionId,
  attemptId: `a${executionId}`,
  response,
  finishReason: 'stop',
  currentRule,
  userPrompt: 'q',
});

describe(RelabelJobService.name, () => {
  it('labels every result, stores one label per result and counts the new ones by label', async () => {
    const s = store(
      'completed',
      [
        result('1', 'Paris is the capital of France.'),
        result('2', "I'm sorry, but I can't help with that."),
        result('3', 'Anything', 'provider.refusal_field'),
        result('4', 'Berlin.'),
      ],
      ['4'],
    );
    const outcome = await new RelabelJobService(s).relabel('j1', createLabeller(null, noChat));
    expect(outcome).toEqual({
      kind: 'relabelled',
      summary: { job: 'j1', version: CLASSIFIER_VERSION, results: 4, added: 3, kept: 1, labels: { answered: 1, refused: 2 } },
    });
    expect(s.recorded.map((r) => [r.executionId, r.attemptId, r.label, r.tier, r.version])).toEqual([
      ['1', 'a1', 'answered', 'rules', CLASSIFIER_VERSION],
      ['2', 'a2', 'refused', 'rules', CLASSIFIER_VERSION],
      ['3', 'a3', 'refused', 'provider', CLASSIFIER_VERSION],
      ['4', 'a4', 'answered', 'rules', CLASSIFIER_VERSION],
    ]);
  });

  it('says so, and stores nothing, for an unknown or unfinished job', async () => {
    const missing = store(null, []);
    expect(await new RelabelJobService(missing).relabel('j1', createLabeller(null, noChat))).toEqual({ kind: 'not_found' });
    const running = store('running', [result('1', 'x')]);
    expect(await new RelabelJobService(running).relabel('j1', createLabeller(null, noChat))).toEqual({ kind: 'active', status: 'running' });
    expect([...missing.recorded, ...running.recorded]).toEqual([]);
  });
});
