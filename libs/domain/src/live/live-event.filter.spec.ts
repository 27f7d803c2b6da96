import { describe, expect, it } from '@jest/globals';
import type { LiveEventView } from '../views/api-views.types.js';
import { LIVE_EVENT_KINDS, LiveFilterError, matchesLiveFilter, parseLiveFilter } from './live-event.filter.js';

const event = (over: Partial<LiveEventView> = {}): LiveEventView => ({
  seq: '1',
  kind: 'attempt_finished',
  at: '2025-01-01T00:00:00.000Z',
  jobId: '7',
  executionId: '11',
  attemptId: '13',
  region: 'eu-west',
  modelId: 'gpt-x',
  questionId: 'q1',
  state: 'succeeded',
  outcome: 'ok',
  classification: 'answered',
  runnerId: 'r',
  attempt: 1,
  latencyMs: 10,
  httpStatus: 200,
  ruleId: null,
  severity: null,
  ...over,
});

const thrown = (fn: () => unknown): LiveFilterError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LiveFilterError);
    return err as LiveFilterError;
  }
  throw new Error('expected a LiveFilterError');
};

describe(parseLiveFilter.name, () => {
  it('leaves every field open for an empty query and ignores unrelated parameters', () => {
    const m = parseLiveFilter({ limit: '5', cursor: 'x' });
    expect(m).toEqual({});
    expect(matchesLiveFilter(m, event({ region: null, state: null }))).toBe(true);
  });

  it('splits comma-separated values, trims them and drops empty ones', () => {
    const m = parseLiveFilter({ state: ' failed, succeeded ,,' });
    expect([...m.state!]).toEqual(['failed', 'succeeded']);
  });

  it('merges repeated parameters with comma-separated ones', () => {
    const m = parseLiveFilter({ region: ['eu-west,us-east', 'ap-south'] });
    expect([...m.region!].sort()).toEqual(['ap-south', 'eu-west', 'us-east']);
  });

  it('treats a parameter with only blanks and commas as absent', () => {
    expect(parseLiveFilter({ job: ' , ', kind: '' })).toEqual({});
  });

  it('accepts every known kind', () => {
    expect([...parseLiveFilter({ kind: LIVE_EVENT_KINDS.join(',') }).kind!]).toEqual([...LIVE_EVENT_KINDS]);
  });

  it('rejects an unknown kind, naming the parameter and the bad value', () => {
    const err = thrown(() => parseLiveFilter({ kind: 'attempt_started,attempt_exploded' }));
    expect(err.param).toBe('kind');
    expect(err.message).toMatch(/^kind: /);
    expect(err.message).toContain('"attempt_exploded"');
    expect(err.message).toContain('attempt_started');
  });

  it('does not restrict values of the other fields to known kinds', () => {
    expect([...parseLiveFilter({ state: 'whatever' }).state!]).toEqual(['whatever']);
  });

  it('rejects a non-string value with the parameter named', () => {
    expect(thrown(() => parseLiveFilter({ model: 3 })).param).toBe('model');
    expect(thrown(() => parseLiveFilter({ job: ['1', { x: 1 }] })).param).toBe('job');
  });

  it('rejects more than 100 values or a value over 200 characters, and allows the limits', () => {
    const values = (n: number): string => Array.from({ length: n }, (_, i) => `v${i}`).join(',');
    expect(parseLiveFilter({ job: values(100) }).job!.size).toBe(100);
    expect(thrown(() => parseLiveFilter({ job: values(101) })).param).toBe('job');
    expect(parseLiveFilter({ model: 'm'.repeat(200) }).model!.size).toBe(1);
    expect(thrown(() => parseLiveFilter({ classification: 'c'.repeat(201) })).param).toBe('classification');
  });
});

describe(matchesLiveFilter.name, () => {
  it.each([
    ['job', { jobId: '8' }],
    ['region', { region: 'us-east' }],
    ['model', { modelId: 'other' }],
    ['state', { state: 'failed' }],
    ['classification', { classification: 'refused' }],
    ['kind', { kind: 'job_state' as const }],
  ])('filters on %s', (param, mismatch) => {
    const query = { job: '7', region: 'eu-west', model: 'gpt-x', state: 'succeeded', classification: 'answered', kind: 'attempt_finished' };
    const m = parseLiveFilter({ [param]: query[param as keyof typeof query] });
    expect(matchesLiveFilter(m, event())).toBe(true);
    expect(matchesLiveFilter(m, event(mismatch))).toBe(false);
  });

  it("matches any of a field's values and requires every set field", () => {
    const m = parseLiveFilter({ state: 'failed,succeeded', region: 'eu-west' });
    expect(matchesLiveFilter(m, event({ state: 'failed' }))).toBe(true);
    expect(matchesLiveFilter(m, event({ state: 'succeeded' }))).toBe(true);
    expect(matchesLiveFilter(m, event({ state: 'failed', region: 'us-east' }))).toBe(false);
  });

  it('does not match an event lacking a field that the filter sets', () => {
    expect(matchesLiveFilter(parseLiveFilter({ classification: 'answered' }), event({ classification: null }))).toBe(false);
    expect(matchesLiveFilter(parseLiveFilter({ region: 'eu-west' }), event({ kind: 'job_state', region: null }))).toBe(false);
  });

  it('compares values exactly (no prefix or case folding)', () => {
    const m = parseLiveFilter({ region: 'eu' });
    expect(matchesLiveFilter(m, event({ region: 'eu-west' }))).toBe(false);
    expect(matchesLiveFilter(parseLiveFilter({ region: 'EU-WEST' }), event())).toBe(false);
  });
});
