import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseStrictJson } from './strict-json.js';

describe(parseStrictJson.name, () => {
  it('parses exactly what JSON.parse parses when no key repeats (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const parsed = parseStrictJson(text);
        const forbidden = /"(__proto__|constructor|prototype)":/.test(text);
        if (forbidden) expect(parsed.ok).toBe(false);
        else expect(parsed).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what JSON.parse refuses (property over mutated texts)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.string({ maxLength: 3 }), (value, at, insert) => {
        const text = JSON.stringify(value);
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + insert + text.slice(i + 1);
        let native: boolean;
        try {
          JSON.parse(mutated);
          native = true;
        } catch {
          native = false;
        }
        const strict = parseStrictJson(mutated);
        if (!native) expect(strict.ok).toBe(false);
        if (!strict.ok) expect(strict.error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a duplicate key, naming its path, even when spelled with escapes', () => {
    expect(parseStrictJson('{"a":{"b":[{"c":1,"c":2}]}}')).toEqual({
      ok: false,
      error: { code: 'duplicate_key', path: '$.a.b[0].c', message: 'duplicate key "c": each key may appear once per object' },
    });
    const escaped = parseStrictJson('{"id":"x","\\u0069d":"y"}');
    expect(escaped.ok).toBe(false);
    if (!escaped.ok) expect(escaped.error.path).toBe('$.id');
  });

  it('refuses __proto__, constructor and prototype keys at any depth, so nothing can reach a prototype', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const r = parseStrictJson(`{"x":[{"${key}":{"polluted":true}}]}`);
      expect(r).toMatchObject({ ok: false, error: { code: 'forbidden_key', path: `$.x[0].${key}` } });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    expect(parseStrictJson('['.repeat(100_000))).toMatchObject({ ok: false, error: { code: 'too_deep' } });
    expect(parseStrictJson(`${'['.repeat(64)}${']'.repeat(64)}`).ok).toBe(true);
  });

  it('says where malformed JSON went wrong', () => {
    expect(parseStrictJson('{"a": 1,\n "b": }')).toMatchObject({
      ok: false,
      error: { code: 'malformed_json', message: 'expected a JSON value but found character "}" at line 2, column 7' },
    });
    expect(parseStrictJson('{"a": "x\u0001"}')).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/unescaped control character U\+0001/) },
    });
    expect(parseStrictJson('1e999')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/out of range/) } });
    expect(parseStrictJson('{} x')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/after the end/) } });
  });
});
