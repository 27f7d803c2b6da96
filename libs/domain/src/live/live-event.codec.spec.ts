import { describe, expect, it } from '@jest/globals';
import { decodeLivePayload } from './live-event.codec.js';

const AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

describe(decodeLivePayload.name, () => {
  it('maps every position of a full attempt_finished row to its field', () => {
    const [e] = decodeLivePayload(JSON.stringify([
      ['af', AT, '7', '11', '13', 'eu-west', 'gpt-x', 'q1', 'succeeded', 'ok', 'answered', 'runner-a', 2, 840, 200],
    ]));
    expect(e).toEqual({
      kind: 'attempt_finished', at: '2025-01-02T03:04:05.678Z', jobId: '7', executionId: '11', attemptId: '13',
      region: 'eu-west', modelId: 'gpt-x', questionId: 'q1', state: 'succeeded', outcome: 'ok', classification: 'answered',
      runnerId: 'runner-a', attempt: 2, latencyMs: 840, httpStatus: 200, ruleId: null, severity: null,
    });
  });

  it('decodes each known kind code', () => {
    const kinds = decodeLivePayload(JSON.stringify([['as', AT, '1'], ['af', AT, '1'], ['es', AT, '1'], ['js', AT, '1'], ['f', AT, '1']]))
      .map((e) => e.kind);
    expect(kinds).toEqual(['attempt_started', 'attempt_finished', 'execution_state', 'job_state', 'finding']);
  });

  it('treats missing trailing fields as null, and a missing job as the empty string', () => {
    const [short] = decodeLivePayload(JSON.stringify([['js', AT, '42', null, null, null, null, null, 'running']]));
    expect(short).toMatchObject({ jobId: '42', state: 'running', outcome: null, runnerId: null, attempt: null, latencyMs: null, httpStatus: null });
    const [bare] = decodeLivePayload(JSON.stringify([['js', AT]]));
    expect(bare!.jobId).toBe('');
    expect(bare!.executionId).toBeNull();
  });

  it('skips events of an unknown kind and rows that are not arrays, keeping the others in order', () => {
    const out = decodeLivePayload(JSON.stringify([['zz', AT, '1'], ['as', AT, '2'], { kind: 'as' }, 'as', null, ['es', AT, '3']]));
    expect(out.map((e) => [e.kind, e.jobId])).toEqual([['attempt_started', '2'], ['execution_state', '3']]);
  });

  it('does not treat inherited object keys as kinds', () => {
    expect(decodeLivePayload(JSON.stringify([['toString', AT, '1'], ['constructor', AT, '1']]))).toEqual([]);
  });

  it('returns nothing for a payload that is not an array', () => {
    expect(decodeLivePayload('{"kind":"as"}')).toEqual([]);
    expect(decodeLivePayload('null')).toEqual([]);
  });

  it('keeps numeric fields only when they are numbers and stringifies numeric ids', () => {
    const [e] = decodeLivePayload(JSON.stringify([['af', AT, 7, 11, null, null, null, null, null, null, null, null, '2', '840', 503]]));
    expect(e).toMatchObject({ jobId: '7', executionId: '11', attempt: null, latencyMs: null, httpStatus: 503 });
  });

  it('adds findingId and summary to findings only', () => {
    const row = (kind: string): unknown[] => [kind, AT, '5', null, null, null, null, null, null, null, null, null, null, null, null,
      'R7', 'critical', '99', 'duplicate cells'];
    const [finding, other] = decodeLivePayload(JSON.stringify([row('f'), row('js')]));
    expect(finding).toMatchObject({ kind: 'finding', ruleId: 'R7', severity: 'critical', findingId: '99', summary: 'duplicate cells' });
    expect(other).toMatchObject({ ruleId: 'R7', severity: 'critical' });
    expect(other).not.toHaveProperty('findingId');
    expect(other).not.toHaveProperty('summary');
  });

  it('gives a finding without its trailing fields null findingId and summary', () => {
    const [f] = decodeLivePayload(JSON.stringify([['f', AT, '5']]));
    expect(f).toMatchObject({ findingId: null, summary: null, ruleId: null });
  });
});

describe('decodeLivePayload with a bad time', () => {
  it('skips only the event whose time is missing or invalid, keeping the rest of its batch', () => {
    const payload = JSON.stringify([
      ['js', 1_700_000_000_000, 'job-1', null, null, null, null, null, 'running'],
      ['js', 'not a time', 'job-2', null, null, null, null, null, 'running'],
      ['js'],
      ['js', 1_700_000_000_500, 'job-3', null, null, null, null, null, 'completed'],
    ]);
    expect(decodeLivePayload(payload).map((e) => [e.jobId, e.at])).toEqual([
      ['job-1', new Date(1_700_000_000_000).toISOString()],
      ['job-3', new Date(1_700_000_000_500).toISOString()],
    ]);
  });
});
