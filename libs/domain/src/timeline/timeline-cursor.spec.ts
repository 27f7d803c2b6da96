import { describe, expect, it } from '@jest/globals';
import { type TimelineCursor, decodeTimelineCursor, encodeTimelineCursor } from './timeline-cursor.js';

const raw = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('timeline cursor', () => {
  it.each<[string, TimelineCursor]>([
    ['plain', ['eu-west', 'gpt-x', 'q1', 0, '42']],
    ['characters that need escaping', ['région "ü"', 'mod/el+=?', 'q,|\\', 3, '123456789012345678']],
    ['empty strings', ['', '', '', 0, '1']],
  ])('round-trips a key with %s', (_name, key) => {
    const cursor = encodeTimelineCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeTimelineCursor(cursor)).toEqual(key);
  });

  it.each([
    ['not base64 JSON', '!!!not a cursor'],
    ['empty', ''],
    ['an object', raw({ region: 'eu' })],
    ['too short', raw(['eu', 'm', 'q', 0])],
    ['too long', raw(['eu', 'm', 'q', 0, '1', 'extra'])],
    ['a numeric region', raw([1, 'm', 'q', 0, '1'])],
    ['a string replicate', raw(['eu', 'm', 'q', '0', '1'])],
    ['a fractional replicate', raw(['eu', 'm', 'q', 0.5, '1'])],
    ['a numeric execution id', raw(['eu', 'm', 'q', 0, 1])],
    ['a non-numeric execution id', raw(['eu', 'm', 'q', 0, '1; drop table'])],
    ['an execution id over 18 digits', raw(['eu', 'm', 'q', 0, '1234567890123456789'])],
    ['null', raw(null)],
    ['a control character in a key part', raw(['eu', 'm', 'q\n', 0, '1'])],
    ['a NUL in a key part', raw(['eu\u0000', 'm', 'q', 0, '1'])],
  ])('rejects a cursor that is %s', (_name, cursor) => {
    expect(decodeTimelineCursor(cursor)).toBeNull();
  });
});
