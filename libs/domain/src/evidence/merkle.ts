import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 6962 §2.1 (RFC 9162 §2.1): a leaf hashes as SHA-256(0x00 ‖ data) and a node as
 * SHA-256(0x01 ‖ left ‖ right), so a leaf can never pass for a node (second preimages); a tree of n leaves splits at
 * the largest power of two below n, and odd nodes are never duplicated (duplicating them lets two different leaf
 * lists share a root). Sizes and indices are plain numbers (exact below 2^53) and every shift is arithmetic, never
 * `>>`, which would cut them to 32 bits.
 *
 * Proofs are generated over a {@link SubtreeHashes} source, the hash of any range the algorithm asks for, so that a
 * store can answer from its persisted perfect subtrees in O(log n) reads instead of rehashing the leaves.
 */

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The hash of the leaves [start, end) of the tree; proofs only ask for ranges inside the tree. */
export type SubtreeHashes = (start: number, end: number) => Buffer;

/**
 * A perfect subtree: 2^level leaves starting at index·2^level. Every range a proof asks for is one of these or a
 * right-edge range, which {@link perfectPieces} splits into at most log2(n) of them.
 */
export interface PerfectNode {
  level: number;
  index: number;
}

/**
 * The perfect subtrees covering [start, end), largest first, for a start aligned to a power of two at least as
 * large as the range (true of every range the RFC algorithms ask for). Its hash is the right fold
 * node(p1, node(p2, …)) of theirs.
 */
export function perfectPieces(start: number, end: number): PerfectNode[] {
  const pieces: PerfectNode[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    while (size * 2 <= end - at) size *= 2;
    const level = Math.round(Math.log2(size));
    pieces.push({ level, index: at / size });
    at += size;
  }
  return pieces;
}

/** Folds the hashes of a range's perfect pieces (largest first) into the range's hash. */
export function foldPieces(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** MTH(D[0:n]) over leaf hashes, computed bottom-up without recursion (the reference for stores and tests). */
export function rootOf(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  return foldPieces(perfectPieces(0, leafHashes.length).map((p) => perfectHash(leafHashes, p)));
}

function perfectHash(leafHashes: readonly Buffer[], p: PerfectNode): Buffer {
  let level: Buffer[] = leafHashes.slice(p.index * 2 ** p.level, (p.index + 1) * 2 ** p.level);
  while (level.length > 1) {
    const up: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
    level = up;
  }
  return level[0]!;
}

/** A {@link SubtreeHashes} over leaf hashes held in memory (tests, small trees, the verifier's own checks). */
export function memorySubtrees(leafHashes: readonly Buffer[]): SubtreeHashes {
  return (start, end) => rootOf(leafHashes.slice(start, end));
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1: the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(index: number, size: number, hashes: SubtreeHashes): Buffer[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is not in a tree of ${size} leaves`);
  }
  const proof: Buffer[] = [];
  // Iterative PATH: walk down from the root, collecting siblings, then reverse (the proof runs leaf to root).
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      proof.push(hashes(start + k, end));
      end = start + k;
    } else {
      proof.push(hashes(start, start + k));
      start += k;
      m -= k;
    }
  }
  return proof.reverse();
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2: the consistency proof from the tree of `from` leaves to that of `to` leaves. */
export function consistencyProof(from: number, to: number, hashes: SubtreeHashes): Buffer[] {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
    throw new RangeError(`no consistency proof from ${from} to ${to} leaves`);
  }
  if (from === 0 || from === to) return [];
  const proof: Buffer[] = [];
  // Iterative SUBPROOF(m, D[start:end], b).
  let start = 0;
  let end = to;
  let m = from;
  let whole = true;
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!whole) proof.push(hashes(start, end));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(hashes(start + k, end));
      end = start + k;
    } else {
      proof.push(hashes(start, start + k));
      start += k;
      m -= k;
      whole = false;
    }
  }
  return proof.reverse();
}

const half = (x: number) => Math.floor(x / 2);
const odd = (x: number) => x % 2 === 1;

/** RFC 9162 §2.1.3.2: does `proof` show leaf `index` with hash `leaf` in the tree of `size` leaves with `root`? */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show the tree of `from` leaves with `fromRoot` is a prefix of the tree of `to`
 * leaves with `toRoot`? The empty tree is a prefix of every tree (with an empty proof), as witnesses treat it.
 */
export function verifyConsistency(
  from: number,
  to: number,
  proof: readonly Uint8Array[],
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) return false;
  if (from === to) return proof.length === 0 && Buffer.from(fromRoot).equals(toRoot);
  if (from === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(fromRoot) && sr.equals(toRoot);
}
