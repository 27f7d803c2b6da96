import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson, sha256Hex } from './canonical-json.js';

/**
 * The hand-written canonical form used before RFC 8785's library replaced it, kept as the oracle: on every JSON value
 * a spec, prompt or parameter set can hold the two must agree, or every stored spec hash would change.
 */
function previousCanonicalJson(value: unknown): string {
  const encode = (v: unknown): string | undefined => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return JSON.stringify(v);
      case 'number':
        return Number.isFinite(v) ? JSON.stringify(v) : 'null';
      case 'object': {
        if (Array.isArray(v)) return `[${v.map((item) => encode(item) ?? 'null').join(',')}]`;
        const record = v as Record<string, unknown>;
        const members: string[] = [];
        for (const key of Object.keys(record).sort()) {
          const encoded = encode(record[key]);
          if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`);
        }
        return `{${members.join(',')}}`;
      }
      default:
        return undefined;
    }
  };
  return encode(value) ?? 'null';
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe(canonicalJson.name, () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives equal text for equal values in any key order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('writes numbers, dates and escapes as RFC 8785 does', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1e21, 5e-7, -0] })).toBe('{"b":[null,1e+21,5e-7,0]}');
    expect(canonicalJson(new Date('2025-01-02T03:04:05.000Z'))).toBe('"2025-01-02T03:04:05.000Z"');
    expect(canonicalJson({ 'q"\n': 'é\u0001' })).toBe('{"q\\"\\n":"é\\u0001"}');
    expect(canonicalJson(undefined)).toBe('null');
    // RFC 8785 §3.2.3: keys sort by UTF-16 code units (U+FB01 after U+1F600's high surrogate U+D83D).
    expect(canonicalJson({ '\ufb01': 1, '😀': 2, a: 3 })).toBe('{"a":3,"😀":2,"ﬁ":1}');
  });

  it('refuses what JSON cannot hold faithfully: NaN, Infinity, unpaired surrogates, cycles, BigInt', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Infinity])).toThrow(TypeError);
    expect(() => canonicalJson('x\ud800')).toThrow(TypeError);
    expect(() => canonicalJson(1n)).toThrow(TypeError);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(TypeError);
  });

  it('agrees with the previous hand-written form on every JSON value (so stored spec hashes stay valid)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !LONE_SURROGATE.test(s));
    const value = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        text,
        fc.array(tie('json'), { maxLength: 5 }),
        fc.dictionary(text, tie('json'), { maxKeys: 5 }),
      ),
    })).json;
    fc.assert(
      fc.property(value, (v) => canonicalJson(v) === previousCanonicalJson(v)),
      { numRuns: 500 },
    );
  });
});

describe(sha256Hex.name, () => {
  it('hashes the UTF-8 bytes', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});
