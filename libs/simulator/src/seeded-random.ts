import { createHash } from 'node:crypto';

export { mulberry32, type RandomSource } from '@beacon/domain';

/** A number in [0, 1) derived from the parts only (sha256), for choices that must not depend on call order. */
export function hashUnit(...parts: readonly (string | number)[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
  return digest.readUInt32BE(0) / 4294967296;
}

/** Picks one item of a non-empty list from a number in [0, 1). */
export function pick<T>(items: readonly T[], unit: number): T {
  return items[Math.min(items.length - 1, Math.floor(unit * items.length))]!;
}
