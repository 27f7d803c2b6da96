import { describe, expect, it } from '@jest/globals';
import { parseDiffRef } from './diff-ref.js';

describe(parseDiffRef.name, () => {
  it.each([
    ['e:42', { kind: 'execution', id: '42' }],
    ['42', { kind: 'execution', id: '42' }],
    ['a:7', { kind: 'attempt', id: '7' }],
    ['l:9001', { kind: 'legacy', id: '9001' }],
    ['  a:7 ', { kind: 'attempt', id: '7' }],
    ['e:123456789012345678', { kind: 'execution', id: '123456789012345678' }],
  ])('parses %j', (raw, ref) => {
    expect(parseDiffRef(raw)).toEqual(ref);
  });

  it('says a reference is required when it is missing or blank', () => {
    for (const raw of [undefined, '', '   ']) expect(parseDiffRef(raw)).toMatch(/^is required: e:<execution id>, a:<attempt id>/);
  });

  it.each(['x:1', 'E:1', 'e:', 'a:', 'e:0', '0', 'e:007', 'e:-1', 'e:1.5', 'e:12a', 'e: 1', 'e:1234567890123456789', 'ea:1', 'a:e:1'])(
    'rejects %j, quoting it and listing the accepted forms',
    (raw) => {
      const problem = parseDiffRef(raw);
      expect(typeof problem).toBe('string');
      expect(problem).toBe(`${JSON.stringify(raw)} is not e:<execution id>, a:<attempt id>, l:<legacy id> or a bare execution id`);
    },
  );
});
