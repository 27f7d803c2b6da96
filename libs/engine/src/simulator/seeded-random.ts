import { createHash } from 'node:crypto';

/** A generator of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/** mulberry32: a small, fast 32-bit PRNG; the same seed always yields the same sequence. */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number in [0, 1) derived from the parts only (sha256), for choices that must not depend on call order. */
export function hashUnit(...parts: readonly (string | number)[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
  return digest.readUInt32BE(0) / 4294967296;
}

/** Picks one item of a non-empty list from a number in [0, 1). */
export function pick<T>(items: readonly T[], unit: number): T {
  return items[Math.min(items.length - 1, Math.floor(unit * items.length))]!;
}
