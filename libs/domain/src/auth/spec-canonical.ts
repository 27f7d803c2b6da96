import { createHash } from 'node:crypto';

/** First line of the string a Beacon header signature signs. */
export const BEACON_SIGNING_VERSION = 'beacon-jobspec-v1';

/** What a Beacon header signature covers. */
export interface BeaconSigningInput {
  keyId: string;
  /** RFC 3339, exactly as sent in `Beacon-Timestamp`. */
  timestamp: string;
  nonce: string;
  /** The request body bytes exactly as sent. */
  body: Uint8Array;
}

/**
 * Beacon's canonical form: five lines joined by `\n`, no trailing newline, signed as UTF-8:
 *
 * ```
 * beacon-jobspec-v1
 * <Beacon-Key-Id>
 * <Beacon-Timestamp>
 * <Beacon-Nonce>
 * <lower-case hex SHA-256 of the body bytes>
 * ```
 *
 * The body is covered byte for byte, so nothing has to be re-serialised to verify it, and the timestamp and nonce
 * are covered too, so neither can be swapped.
 */
export function beaconSigningString(input: BeaconSigningInput): string {
  const digest = createHash('sha256').update(input.body).digest('hex');
  return [BEACON_SIGNING_VERSION, input.keyId, input.timestamp, input.nonce, digest].join('\n');
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function encodeString(text: string, go: boolean): string {
  const js = JSON.stringify(text);
  return go ? js.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!) : js;
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Compact JSON with sorted keys: `go` = Go's `encoding/json` (keys in byte order, `<>&` escaped), else `JSON.stringify`'s. */
export function sortedJson(value: Json, go: boolean): string {
  if (Array.isArray(value)) return `[${value.map((v) => sortedJson(v, go)).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    keys.sort(go ? byUtf8 : undefined);
    return `{${keys.map((k) => `${encodeString(k, go)}:${sortedJson(value[k]!, go)}`).join(',')}}`;
  }
  if (typeof value === 'string') return encodeString(value, go);
  return JSON.stringify(value);
}

/** The Go runner's `removeNullAndEmptyValues`: drops null, "", 0 and (after cleaning) empty objects from objects, not from lists. */
function pruneGo(obj: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'signature' || k === 'public_key') {
      out[k] = v;
      continue;
    }
    if (v === null || v === '' || v === 0) continue;
    if (isPlainObject(v)) {
      const inner = pruneGo(v);
      if (Object.keys(inner).length > 0) out[k] = inner;
      continue;
    }
    out[k] = v;
  }
  return out;
}

function without(obj: Record<string, Json>, keys: readonly string[]): Record<string, Json> {
  const out = { ...obj };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * What a `go-v1` signature covers of a spec: without `id`, `created_at`, `signature` and `public_key`, and with null,
 * "", 0 and empty objects removed from every object.
 */
export function goV1Covered(spec: Record<string, unknown>): Record<string, unknown> {
  return without(pruneGo(without(spec as Record<string, Json>, ['id', 'created_at'])), ['signature', 'public_key']);
}

/** One way the Go runner or its portal may have serialised a spec for signing. */
export interface GoCanonicalForm {
  name: 'go-raw' | 'go-v1' | 'go-raw-escaped' | 'go-v1-escaped';
  text: string;
}

/**
 * The canonical forms of a Go runner job spec (the object that carries `signature` and `public_key`), as its portal
 * signs and its runner verifies them:
 *
 * - `go-raw`: the spec without the top-level `id`, `signature` and `public_key`, keys sorted at every depth, compact
 *   (the portal's `canonicalizeJobSpec`, and the runner's raw-body fallback);
 * - `go-v1`: additionally without `created_at`, and with null, "", 0 and empty objects removed from every object
 *   (the runner's `CanonicalizeJobSpecV1`).
 *
 * Each also in Go's escaping (`<`, `>`, `&`, U+2028, U+2029 as `\u` escapes) when that differs.
 */
export function goCanonicalForms(spec: Record<string, unknown>): GoCanonicalForm[] {
  const obj = spec as Record<string, Json>;
  const raw = without(obj, ['id', 'signature', 'public_key']);
  const v1 = pruneGo(without(obj, ['id', 'created_at', 'signature', 'public_key']));
  const forms: GoCanonicalForm[] = [
    { name: 'go-raw', text: sortedJson(raw, false) },
    { name: 'go-v1', text: sortedJson(v1, false) },
  ];
  const rawGo = sortedJson(raw, true);
  const v1Go = sortedJson(v1, true);
  if (rawGo !== forms[0]!.text) forms.push({ name: 'go-raw-escaped', text: rawGo });
  if (v1Go !== forms[1]!.text) forms.push({ name: 'go-v1-escaped', text: v1Go });
  return forms;
}
