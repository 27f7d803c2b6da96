import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted by UTF-16 code units at every depth,
 * no whitespace, numbers in ECMAScript form. Spec hashes, prompt and parameter hashes and evidence receipts all use
 * it, so anyone with an RFC 8785 implementation can recompute them. It refuses what JSON cannot hold faithfully:
 * NaN, ±Infinity, unpaired surrogates (specs and prompts never contain them: the spec reader refuses them), BigInt and
 * cycles. `undefined` at the top is `null`, as before.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') throw new TypeError('canonicalJson: BigInt is not representable in JSON');
  try {
    return canonicalize(value) ?? 'null';
  } catch (e) {
    throw new TypeError(`canonicalJson: ${(e as Error).message}`);
  }
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
