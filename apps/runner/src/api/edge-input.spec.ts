import { describe, expect, it } from '@jest/globals';
import { ApiError } from './api-error.js';
import { bigintIdParam, jobIdParam, limit, numericCursor, oneOf, query, repeated, single, ValidInput } from './edge-input.js';

function refusal(fn: () => unknown): {
  status: number;
  body: { error: string; message: string; problems: { path: string; message: string }[] };
} {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { status: err.getStatus(), body: err.getResponse() as never };
    throw err;
  }
  throw new Error('expected a refusal');
}

const listQuery = query({
  job: single(),
  state: single(oneOf(['open', 'all'])),
  limit: limit(50, 500),
  cursor: single(numericCursor),
  kind: repeated(20),
});
const pipe = new ValidInput(listQuery);
const asQuery = (value: unknown) => pipe.transform(value, { type: 'query' });

describe('edge input', () => {
  it('passes good values, treats absent and empty as unset, and applies defaults', () => {
    expect(asQuery({ job: 'j-1', state: 'open', limit: '20', cursor: '42', kind: ['a', 'b'] })).toEqual({
      job: 'j-1',
      state: 'open',
      limit: 20,
      cursor: '42',
      kind: ['a', 'b'],
    });
    expect(asQuery({})).toEqual({ job: undefined, state: undefined, limit: 50, cursor: undefined, kind: undefined });
    expect(asQuery({ job: '', limit: '' })).toMatchObject({ job: undefined, limit: 50 });
    expect(asQuery(undefined)).toMatchObject({ limit: 50 });
  });

  it.each([
    [{ job: 'a\u0000b' }, 'job', /control characters/],
    [{ job: '\u0085' }, 'job', /control characters/],
    [{ job: 'x'.repeat(257) }, 'job', /at most 256/],
    [{ job: ['a', 'b'] }, 'job', /given 2 times/],
    [{ job: { x: 'a' } }, 'job', /single plain value/],
    [{ state: 'closed' }, 'state', /one of open, all/],
    [{ limit: '0' }, 'limit', /from 1 to 500/],
    [{ limit: '1e3' }, 'limit', /from 1 to 500/],
    [{ limit: '99999999999' }, 'limit', /from 1 to 500/],
    [{ cursor: '1'.repeat(19) }, 'cursor', /nextCursor/],
    [{ 'job[]': 'a' }, 'job[]', /unknown parameter; this route takes job, state, limit, cursor, kind/],
    [{ kind: ['a', 'b\u0007'] }, 'kind', /control characters/],
  ])('refuses %j with 400 naming %s', (value, name, message) => {
    const r = refusal(() => asQuery(value));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_parameter');
    expect(r.body.problems).toEqual([{ path: name, message: expect.stringMatching(message) }]);
    expect(r.body.message).toContain(`${name}: `);
  });

  it('names every problem at once, and escapes control characters in unknown names', () => {
    const r = refusal(() => asQuery({ job: ['a', 'b'], limit: 'x', 'a\u0000': '1' }));
    expect(r.body.problems.map((p) => p.path).sort()).toEqual(['a\\u0000', 'job', 'limit']);
  });

  it('names a path parameter by its route name', () => {
    expect(new ValidInput(jobIdParam).transform('job-1', { type: 'param', data: 'id' })).toBe('job-1');
    expect(refusal(() => new ValidInput(jobIdParam).transform('a\u0000', { type: 'param', data: 'id' })).body.problems).toEqual([
      { path: 'id', message: expect.stringMatching(/control characters/) },
    ]);
    expect(
      refusal(() => new ValidInput(bigintIdParam).transform('99999999999999999999', { type: 'param', data: 'id' })).body.problems[0]!.path,
    ).toBe('id');
    expect(new ValidInput(bigintIdParam).transform('123', { type: 'param', data: 'id' })).toBe('123');
  });
});
