import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  consistencyProof,
  inclusionProof,
  leafHash,
  memorySubtrees,
  nodeHash,
  rootOf,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (s: string) => Buffer.from(s, 'hex');

// The classic test leaves and roots of RFC 6962 trees of 0..8 leaves (google/trillian merkle/testonly).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** The RFC's recursive definitions, written out literally: the independent reference for the iterative code. */
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return EMPTY_ROOT;
  if (d.length === 1) return d[0]!;
  const k = splitPoint(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitPoint(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

/** A tree size with an index in it, or two sizes m ≤ n. */
const sizeAndIndex = fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));
const twoSizes = fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)));

function flip(proof: Buffer[], at: number, bit: number): Buffer[] {
  const copy = proof.map((p) => Buffer.from(p));
  copy[at]![Math.floor(bit / 8)]! ^= 1 << (bit % 8);
  return copy;
}

describe('RFC 6962 hashing', () => {
  it('matches the published leaf, node and empty-tree hashes', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]);
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    // transparency-dev/merkle rfc6962_test.go
    expect(leafHash(Buffer.from('L123456')).toString('hex')).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
    expect(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('gives the published roots of the trees of 0 to 8 classic leaves', () => {
    for (let n = 0; n <= 8; n++) expect(rootOf(LEAVES.slice(0, n).map(leafHash)).toString('hex')).toBe(ROOTS[n]);
  });

  it('computes the same root as the recursive definition', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 600 }), (n) => rootOf(leavesOf(n)).equals(mth(leavesOf(n)))));
  });
});

describe('inclusion proofs', () => {
  it('are the RFC PATH, and every one verifies', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([n, m]) => {
        const leaves = leavesOf(n);
        const proof = inclusionProof(m, n, memorySubtrees(leaves));
        expect(proof).toEqual(path(m, leaves));
        expect(verifyInclusion(m, n, leaves[m]!, proof, rootOf(leaves))).toBe(true);
      }),
    );
  });

  it('fail when any bit of the proof, the leaf or the root flips, or the index or size is wrong', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), fc.integer({ min: 0, max: 255 }), ([n, m], pick, bit) => {
        const leaves = leavesOf(n);
        const root = rootOf(leaves);
        const proof = inclusionProof(m, n, memorySubtrees(leaves));
        if (proof.length > 0) expect(verifyInclusion(m, n, leaves[m]!, flip(proof, pick % proof.length, bit), root)).toBe(false);
        expect(verifyInclusion(m, n, flip([leaves[m]!], 0, bit)[0]!, proof, root)).toBe(false);
        expect(verifyInclusion(m, n, leaves[m]!, proof, flip([root], 0, bit)[0]!)).toBe(false);
        if (n > 1) expect(verifyInclusion((m + 1) % n, n, leaves[m]!, proof, root)).toBe(false);
        expect(verifyInclusion(m, n, leaves[m]!, [...proof, root], root)).toBe(false);
        if (proof.length > 0) expect(verifyInclusion(m, n, leaves[m]!, proof.slice(1), root)).toBe(false);
      }),
    );
  });

  it('refuse an index outside the tree', () => {
    const leaves = leavesOf(4);
    expect(() => inclusionProof(4, 4, memorySubtrees(leaves))).toThrow(RangeError);
    expect(verifyInclusion(4, 4, leaves[0]!, [], rootOf(leaves))).toBe(false);
    expect(verifyInclusion(0, 1, leaves[0]!, [], leaves[0]!)).toBe(true);
  });
});

describe('consistency proofs', () => {
  it('are the RFC PROOF, and every one verifies for m ≤ n', () => {
    fc.assert(
      fc.property(twoSizes, ([m, n]) => {
        const leaves = leavesOf(n);
        const proof = consistencyProof(m, n, memorySubtrees(leaves));
        if (m > 0 && m < n) expect(proof).toEqual(subproof(m, leaves, true));
        expect(verifyConsistency(m, n, proof, rootOf(leaves.slice(0, m)), rootOf(leaves))).toBe(true);
      }),
    );
  });

  it('fail when any bit of the proof or of either root flips, or a leaf of the older tree changed', () => {
    fc.assert(
      fc.property(twoSizes, fc.nat(), fc.integer({ min: 0, max: 255 }), ([m, n], pick, bit) => {
        fc.pre(m > 0 && m < n);
        const leaves = leavesOf(n);
        const old = rootOf(leaves.slice(0, m));
        const root = rootOf(leaves);
        const proof = consistencyProof(m, n, memorySubtrees(leaves));
        expect(verifyConsistency(m, n, flip(proof, pick % proof.length, bit), old, root)).toBe(false);
        expect(verifyConsistency(m, n, proof, flip([old], 0, bit)[0]!, root)).toBe(false);
        expect(verifyConsistency(m, n, proof, old, flip([root], 0, bit)[0]!)).toBe(false);
        // A history rewritten under the older head: the new tree's proof cannot reach the old root.
        const rewritten = [...leaves];
        rewritten[pick % m] = leafHash(Buffer.from('forged'));
        const forgedProof = consistencyProof(m, n, memorySubtrees(rewritten));
        expect(verifyConsistency(m, n, forgedProof, old, rootOf(rewritten))).toBe(false);
      }),
    );
  });

  it('treat equal sizes and the empty tree as the RFC does', () => {
    const leaves = leavesOf(5);
    const root = rootOf(leaves);
    expect(verifyConsistency(5, 5, [], root, root)).toBe(true);
    expect(verifyConsistency(5, 5, [root], root, root)).toBe(false);
    expect(verifyConsistency(0, 5, [], EMPTY_ROOT, root)).toBe(true);
    expect(verifyConsistency(6, 5, [], root, root)).toBe(false);
    expect(() => consistencyProof(6, 5, memorySubtrees(leaves))).toThrow(RangeError);
  });
});
