import { describe, expect, it } from '@jest/globals';
import {
  LIVE_KIND_CODES,
  LIVE_WIRE_FIELDS,
  type LiveEvent,
  type LiveEventBody,
  type LiveWireField,
  decodeLivePayload,
  encodeLiveEvent,
} from './live-event.codec.js';

const AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

describe(decodeLivePayload.name, () => {
  it('maps every position of a full attempt_finished row to its field', () => {
    const [e] = decodeLivePayload(
      JSON.stringify([['af', AT, '7', '11', '13', 'eu-west', 'gpt-x', 'q1', 'succeeded', 'ok', 'answered', 'runner-a', 2, 840, 200]]),
    );
    expect(e).toEqual({
      kind: 'attempt_finished',
      at: '2025-01-02T03:04:05.678Z',
      jobId: '7',
      executionId: '11',
      attemptId: '13',
      region: 'eu-west',
      modelId: 'gpt-x',
      questionId: 'q1',
      state: 'succeeded',
      outcome: 'ok',
      classification: 'answered',
      runnerId: 'runner-a',
      attempt: 2,
      latencyMs: 840,
      httpStatus: 200,
      ruleId: null,
      severity: null,
    });
  });

  it('decodes each known kind code', () => {
    const kinds = decodeLivePayload(
      JSON.stringify([
        ['as', AT, '1'],
        ['af', AT, '1'],
        ['es', AT, '1'],
        ['js', AT, '1'],
        ['f', AT, '1'],
      ]),
    ).map((e) => e.kind);
    expect(kinds).toEqual(['attempt_started', 'attempt_finished', 'execution_state', 'job_state', 'finding']);
  });

  it('treats missing trailing fields as null, and a missing job as the empty string', () => {
    const [short] = decodeLivePayload(JSON.stringify([['js', AT, '42', null, null, null, null, null, 'running']]));
    expect(short).toMatchObject({
      jobId: '42',
      state: 'running',
      outcome: null,
      runnerId: null,
      attempt: null,
      latencyMs: null,
      httpStatus: null,
    });
    const [bare] = decodeLivePayload(JSON.stringify([['js', AT]]));
    expect(bare!.jobId).toBe('');
    expect(bare!.executionId).toBeNull();
  });

  it('skips events of an unknown kind and rows that are not arrays, keeping the others in order', () => {
    const out = decodeLivePayload(JSON.stringify([['zz', AT, '1'], ['as', AT, '2'], { kind: 'as' }, 'as', null, ['es', AT, '3']]));
    expect(out.map((e) => [e.kind, e.jobId])).toEqual([
      ['attempt_started', '2'],
      ['execution_state', '3'],
    ]);
  });

  it('does not treat inherited object keys as kinds', () => {
    expect(
      decodeLivePayload(
        JSON.stringify([
          ['toString', AT, '1'],
          ['constructor', AT, '1'],
        ]),
      ),
    ).toEqual([]);
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
    const row = (kind: string): unknown[] => [
      kind,
      AT,
      '5',
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      'R7',
      'critical',
      '99',
      'duplicate cells',
    ];
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

describe(encodeLiveEvent.name, () => {
  it('puts every field at its position of the wire form, and the decoder reads each back', () => {
    const event: LiveEvent = {
      kind: 'attempt_finished',
      at: AT,
      jobId: '7',
      executionId: '11',
      attemptId: '13',
      region: 'eu-west',
      modelId: 'gpt-x',
      questionId: 'q1',
      state: 'succeeded',
      outcome: 'succeeded',
      classification: 'answered',
      runnerId: 'runner-a',
      attempt: 2,
      latencyMs: 840,
      httpStatus: 200,
    };
    const row = encodeLiveEvent(event);
    expect(row).toEqual([
      'af',
      AT,
      '7',
      '11',
      '13',
      'eu-west',
      'gpt-x',
      'q1',
      'succeeded',
      'succeeded',
      'answered',
      'runner-a',
      2,
      840,
      200,
    ]);
    for (const [i, field] of LIVE_WIRE_FIELDS.entries()) {
      if (field !== 'kind' && field !== 'at')
        expect([field, row[i] ?? null]).toEqual([field, (event as Partial<Record<string, unknown>>)[field] ?? null]);
    }
    expect(decodeLivePayload(JSON.stringify([row]))).toEqual([
      {
        kind: 'attempt_finished',
        at: '2025-01-02T03:04:05.678Z',
        jobId: '7',
        executionId: '11',
        attemptId: '13',
        region: 'eu-west',
        modelId: 'gpt-x',
        questionId: 'q1',
        state: 'succeeded',
        outcome: 'succeeded',
        classification: 'answered',
        runnerId: 'runner-a',
        attempt: 2,
        latencyMs: 840,
        httpStatus: 200,
        ruleId: null,
        severity: null,
      },
    ]);
  });

  it('writes absent fields as null and leaves trailing nulls off', () => {
    expect(encodeLiveEvent({ kind: 'job_state', at: AT, jobId: '42', state: 'running' })).toEqual([
      'js',
      AT,
      '42',
      null,
      null,
      null,
      null,
      null,
      'running',
    ]);
    expect(
      encodeLiveEvent({
        kind: 'attempt_finished',
        at: AT,
        jobId: '1',
        executionId: '2',
        region: 'r',
        modelId: 'm',
        questionId: 'q',
        state: 'pending',
        outcome: 'lease_expired',
        attempt: 3,
        runnerId: null,
        latencyMs: null,
      }),
    ).toEqual(['af', AT, '1', '2', null, 'r', 'm', 'q', 'pending', 'lease_expired', null, null, 3]);
  });

  it('round-trips one event of every kind through the decoder', () => {
    const events: LiveEvent[] = [
      {
        kind: 'attempt_started',
        at: AT,
        jobId: 'j',
        executionId: 'e',
        attemptId: 'a',
        region: 'r',
        modelId: 'm',
        questionId: 'q',
        state: 'running',
        runnerId: 'w',
        attempt: 1,
      },
      {
        kind: 'attempt_finished',
        at: AT,
        jobId: 'j',
        executionId: 'e',
        region: 'r',
        modelId: 'm',
        questionId: 'q',
        state: 'failed',
        outcome: 'final_error',
        attempt: 4,
      },
      { kind: 'execution_state', at: AT, jobId: 'j', executionId: 'e', region: 'r', modelId: 'm', questionId: 'q', state: 'cancelled' },
      { kind: 'job_state', at: AT, jobId: 'j', state: 'completed' },
      { kind: 'finding', at: AT, jobId: '', state: 'resolved', ruleId: 'R1', severity: 'warning', findingId: '9', summary: 's' },
    ];
    const decoded = decodeLivePayload(JSON.stringify(events.map(encodeLiveEvent)));
    expect(decoded.map((e) => e.kind)).toEqual(Object.keys(LIVE_KIND_CODES));
    decoded.forEach((view, i) => {
      const { at: _at, ...given } = events[i]!;
      expect(view).toMatchObject({ ...given, at: new Date(AT).toISOString() });
      for (const field of LIVE_WIRE_FIELDS) {
        if (!(field in given) && field !== 'at' && field in view) expect([field, view[field as keyof typeof view]]).toEqual([field, null]);
      }
    });
    expect(decoded[4]).toMatchObject({ findingId: '9', summary: 's' });
  });

  it('names the fields of the streamed view, no more and no fewer', () => {
    // A compile-time check: either list gaining a field alone fails the type checker here.
    const same: [Exclude<keyof LiveEventBody, LiveWireField>, Exclude<LiveWireField, keyof LiveEventBody>] extends [never, never]
      ? true
      : false = true;
    expect(same).toBe(true);
    expect(LIVE_WIRE_FIELDS.length).toBe(new Set(LIVE_WIRE_FIELDS).size);
  });

  it('types each kind with its own fields', () => {
    const ok: LiveEvent[] = [
      { kind: 'job_state', at: AT, jobId: 'j', state: 'queued' },
      // @ts-expect-error a job state is a job status
      { kind: 'job_state', at: AT, jobId: 'j', state: 'succeeded' },
      // @ts-expect-error a job state carries no attempt outcome
      { kind: 'job_state', at: AT, jobId: 'j', state: 'running', outcome: 'succeeded' },
      // @ts-expect-error a finding names its rule
      { kind: 'finding', at: AT, jobId: 'j', state: 'open', severity: 'info', findingId: '1', summary: 's' },
      {
        kind: 'attempt_finished',
        at: AT,
        jobId: 'j',
        executionId: 'e',
        region: 'r',
        modelId: 'm',
        questionId: 'q',
        state: 'failed',
        // @ts-expect-error an attempt outcome is one of the domain's outcomes
        outcome: 'oops',
        attempt: 1,
      },
    ];
    expect(ok).toHaveLength(5);
  });
});
