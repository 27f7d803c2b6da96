import { describe, expect, it } from '@jest/globals';
import { canonicalJson, sha256Hex } from './canonical-json.js';

describe(canonicalJson.name, () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives equal text for equal values in any key order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('follows JSON.stringify for undefined, non-finite numbers, dates and escapes', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, NaN, Infinity] })).toBe('{"b":[null,null,null]}');
    expect(canonicalJson(new Date('2025-01-02T03:04:05.000Z'))).toBe('"2025-01-02T03:04:05.000Z"');
    expect(canonicalJson({ 'q"\n': 'é\u0001' })).toBe('{"q\\"\\n":"é\\u0001"}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('throws on circular structures', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(TypeError);
  });
});

describe(sha256Hex.name, () => {
  it('hashes the UTF-8 bytes', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});
