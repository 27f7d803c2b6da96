import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { rawPublicKeyBase64, signBeaconRequest, type SigningConfig } from '@beacon/domain';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';
import { flushAudit, securedConfig, TOKENS } from '../utils/security.js';

/**
 * Property-based fuzzing of the front door: generated job specs in all three accepted forms, mutated as values, as
 * text and as bytes, with generated headers, POSTed to a real daemon on a real database. Every answer must be a 2xx
 * or a 4xx with an error code and a non-empty message; never a 5xx. Afterwards the database must hold exactly the
 * jobs (and cells, and nonces) of the accepted requests, and one audit row per request (refused ones included).
 */

const QUESTIONS = ['math_basic', 'geography_basic', 'identity_basic', 'tiananmen_neutral', 'taiwan_status'];
const MODELS = ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b', 'gpt-9'];
const REGIONS = ['us-east', 'eu-west', 'asia-pacific', 'US', 'EU', 'ASIA', 'APAC', 'mars-north'];
const HOSTILE = [
  '__proto__',
  'constructor',
  'prototype',
  '\u001b[2J',
  'a\u0000b',
  '\u202eevil',
  'x'.repeat(300),
  '',
  ' ',
  '\ud800',
  '../../etc/passwd',
  "'; DROP TABLE jobs; --",
];

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) },
);
const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}$/), fc.constantFrom('dup-1', 'dup-2', 'dup-3'), text);
const num = fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), fc.constantFrom(0, 1, 0.5, 1e308, -0, 2 ** 53 + 1));
const question = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...QUESTIONS) },
  { weight: 2, arbitrary: fc.record({ id, text, category: fc.option(text) }, { requiredKeys: ['id', 'text'] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: 0, maxLength: 4 });

const beaconSpec = fc.record(
  {
    id,
    name: text,
    description: text,
    questions: list(question),
    models: list(fc.oneof(fc.constantFrom(...MODELS), fc.record({ id: fc.constantFrom(...MODELS), name: text }))),
    regions: list(fc.constantFrom(...REGIONS)),
    repeats: num,
    max_attempts: num,
    parameters: fc.record({ temperature: num, max_tokens: num }, { requiredKeys: [] }),
    constraints: fc.record({ min_regions: num, min_success_rate: num, timeout_ms: num }, { requiredKeys: [] }),
    created_by: text,
  },
  { requiredKeys: ['questions', 'models', 'regions'] },
);

const goSpec = fc.record(
  {
    id,
    jobspec_id: id,
    version: fc.constantFrom('v1', '1.0', 'bogus'),
    benchmark: fc.record(
      { name: text, version: text, input: fc.record({ type: fc.constant('prompt'), data: fc.record({ prompt: text }), hash: text }) },
      { requiredKeys: [] },
    ),
    constraints: fc.record(
      { regions: list(fc.constantFrom(...REGIONS)), min_regions: num, min_success_rate: num, timeout: num, provider_timeout: num },
      { requiredKeys: ['regions'] },
    ),
    metadata: fc.record(
      { models: list(fc.constantFrom(...MODELS)), created_by: text, nonce: text, timestamp: text },
      { requiredKeys: ['models'] },
    ),
    questions: fc.option(list(question)),
    created_at: fc.oneof(
      text,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
  },
  { requiredKeys: ['constraints', 'metadata'] },
);

const portalSpec = fc.record(
  {
    jobspec: fc.oneof(goSpec, fc.jsonValue({ maxDepth: 2 })),
    target_regions: list(fc.constantFrom(...REGIONS)),
    min_regions: num,
    min_success_rate: num,
    enable_analysis: fc.boolean(),
  },
  { requiredKeys: ['jobspec'] },
);

type Json = ReturnType<typeof JSON.parse>;

const safe = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.?!'-]{0,39}$/);
const goodId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,24}$/), fc.constantFrom('dup-1', 'dup-2', 'dup-3'));
const some = <T>(items: readonly T[], max = 3) => fc.uniqueArray(fc.constantFrom(...items), { minLength: 1, maxLength: max });
const inlineQuestion = fc.record({ id: goodId, text: fc.oneof(safe, fc.constant('Line one\n\tline two?')), category: safe });

/** Specs that are valid most of the time (unique ids aside), so that accepted paths are fuzzed too. */
const plausibleBeacon = fc.record(
  {
    id: goodId,
    name: safe,
    questions: fc.oneof(some(QUESTIONS), fc.array(inlineQuestion, { minLength: 1, maxLength: 2 })),
    models: some(['llama3.2-1b', 'mistral-7b'], 2),
    regions: some(['us-east', 'eu-west', 'asia-pacific']),
    repeats: fc.integer({ min: 1, max: 3 }),
    parameters: fc.record({ temperature: fc.double({ min: 0, max: 2, noNaN: true }), max_tokens: fc.integer({ min: 1, max: 4000 }) }),
  },
  { requiredKeys: ['questions', 'models', 'regions'] },
);
const plausibleGo = fc.record({
  id: goodId,
  version: fc.constant('1.0'),
  benchmark: fc.record({
    name: safe,
    input: fc.record({ type: fc.constant('prompt'), data: fc.record({ prompt: safe }), hash: fc.constant('sha256:x') }),
  }),
  constraints: fc.record({ regions: some(['US', 'EU', 'ASIA']), timeout: fc.constantFrom(600000000000, 0) }),
  metadata: fc.record({ models: some(['llama3.2-1b', 'mistral-7b'], 2), created_by: safe }),
  questions: some(QUESTIONS),
});

/** Replaces the value at a random path (objects and lists) with `replacement`. */
function replaceAt(value: Json, pick: number, replacement: Json): Json {
  const paths: (string | number)[][] = [];
  const walk = (v: Json, p: (string | number)[]) => {
    paths.push(p);
    if (v && typeof v === 'object') for (const k of Object.keys(v)) walk(v[k], [...p, Array.isArray(v) ? Number(k) : k]);
  };
  walk(value, []);
  const path = paths[pick % paths.length]!;
  if (path.length === 0) return replacement;
  const copy = structuredClone(value);
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k];
  at[path[path.length - 1]!] = replacement;
  return copy;
}

/** A body: a generated spec, possibly mutated as a value, as text, or as bytes. */
const body = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: plausibleBeacon },
      { weight: 2, arbitrary: plausibleGo },
      { weight: 1, arbitrary: beaconSpec },
      { weight: 1, arbitrary: goSpec },
      { weight: 1, arbitrary: portalSpec },
    ),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('value' as const),
          at: fc.nat(),
          with: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...HOSTILE)),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('key' as const),
          key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'regions', 'questions'),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), insert: fc.string({ unit: 'binary', maxLength: 5 }) }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
      { weight: 1, arbitrary: fc.constantFrom({ kind: 'deep' as const }, { kind: 'large' as const }, { kind: 'empty' as const }) },
    ),
  )
  .map(([spec, m]) => {
    const json = JSON.stringify(spec);
    switch (m.kind) {
      case 'none':
        return { kind: 'generated', bytes: Buffer.from(json) };
      case 'value':
        return { kind: 'value', bytes: Buffer.from(JSON.stringify(replaceAt(spec, m.at, m.with))) };
      case 'key':
        return { kind: 'key', bytes: Buffer.from(`{"${m.key}":{"polluted":true},${json.slice(1)}`) };
      case 'truncate':
        return { kind: 'text', bytes: Buffer.from(json.slice(0, m.at % (json.length + 1))) };
      case 'splice': {
        const i = m.at % (json.length + 1);
        return { kind: 'text', bytes: Buffer.from(json.slice(0, i) + m.insert + json.slice(i + 1)) };
      }
      case 'bytes': {
        const b = Buffer.from(json);
        b[m.at % b.length] = m.byte;
        return { kind: 'bytes', bytes: b };
      }
      case 'deep':
        return { kind: 'structure', bytes: Buffer.from(`${'{"a":['.repeat(200)}1${']}'.repeat(200)}`) };
      case 'large':
        return { kind: 'structure', bytes: Buffer.from(JSON.stringify({ ...spec, pad: 'x'.repeat(70_000) })) };
      case 'empty':
        return { kind: 'structure', bytes: Buffer.alloc(0) };
    }
  });

const printable = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const auth = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${TOKENS.submitter.secret}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `Bearer ${TOKENS.admin.secret}`,
      `Bearer ${TOKENS.viewer.secret}`,
      'Bearer bct_nope',
      'Basic Zm9vOmJhcg==',
      'Bearer',
      '',
    ),
  },
  { weight: 1, arbitrary: printable },
);
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/jsonx', '') },
  { weight: 1, arbitrary: printable },
);

interface Tally {
  requests: number;
  accepted: number;
  created: Map<string, number>;
  rejected: Map<string, number>;
  kinds: Map<string, number>;
  signedAccepted: number;
}

function tally(): Tally {
  return { requests: 0, accepted: 0, created: new Map(), rejected: new Map(), kinds: new Map(), signedAccepted: 0 };
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

async function send(baseUrl: string, bytes: Buffer, headers: Record<string, string>, t: Tally, kind: string): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v1/jobs`, { method: 'POST', headers, body: bytes });
  const raw = await res.text();
  t.requests++;
  bump(t.kinds, kind);
  let parsed: any;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${res.status} answer is not JSON: ${raw.slice(0, 200)}`);
  }
  if (res.status >= 500)
    throw new Error(`${res.status} for ${kind} body ${JSON.stringify(bytes.toString('utf8').slice(0, 300))}: ${raw.slice(0, 300)}`);
  if (res.status === 201 || res.status === 200) {
    t.accepted++;
    if (res.status === 201) t.created.set(parsed.id, parsed.cells);
    else expect(t.created.has(parsed.id)).toBe(true);
    return;
  }
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  if (typeof parsed.error !== 'string' || parsed.error === '' || typeof parsed.message !== 'string' || parsed.message.trim() === '') {
    throw new Error(`${res.status} without an explanation: ${raw.slice(0, 300)}`);
  }
  bump(t.rejected, `${res.status} ${parsed.error}`);
}

async function verifyRows(runner: TestRunner, t: Tally): Promise<void> {
  await flushAudit(runner.app);
  const ids: string[] = (await runner.ds.query('SELECT id FROM jobs ORDER BY id')).map((r: { id: string }) => r.id);
  expect(ids).toEqual([...t.created.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  // An audit row may stand for several requests refused alike (a burst of unknown tokens past the failure limit).
  const [c] = await runner.ds
    .query(`SELECT (SELECT count(*) FROM executions)::int AS executions, (SELECT count(*) FROM spec_nonces)::int AS nonces,
    (SELECT coalesce(sum(occurrences), 0) FROM audit_log)::int AS audit,
    (SELECT coalesce(sum(occurrences), 0) FROM audit_log WHERE status >= 400)::int AS refused`);
  expect(c).toEqual({
    executions: [...t.created.values()].reduce((a, b) => a + b, 0),
    nonces: t.signedAccepted,
    audit: t.requests,
    refused: t.requests - t.accepted,
  });
}

const limits = { maxCellsPerJob: 60, maxBodyBytes: 65_536, maxJobsInFlightPerToken: 1_000_000, requestsPerMinutePerToken: 1_000_000_000 };

describe('POST /api/v1/jobs under fuzzing', () => {
  const results: string[] = [];
  afterAll(() => {
    process.stderr.write(`${results.join('\n')}\n`);
  });

  describe('unsigned deployment', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner(securedConfig({ limits }));
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('answers 6,000 generated and mutated submissions with 2xx or an explained 4xx, and keeps only accepted rows', async () => {
      const t = tally();
      await fc.assert(
        fc.asyncProperty(body, auth, contentType, async (b, authorization, type) => {
          const headers: Record<string, string> = {};
          if (authorization) headers.authorization = authorization;
          if (type) headers['content-type'] = type;
          await send(runner.baseUrl, b.bytes, headers, t, b.kind);
        }),
        { numRuns: 6000, endOnFailure: true },
      );
      await verifyRows(runner, t);
      results.push(
        `fuzz (unsigned): ${t.requests} requests, ${t.accepted} accepted (${t.created.size} jobs created), kinds ${JSON.stringify(Object.fromEntries(t.kinds))}, ` +
          `refusals ${JSON.stringify(Object.fromEntries([...t.rejected].sort((a, b) => b[1] - a[1])))}`,
      );
      expect(t.requests).toBeGreaterThanOrEqual(6000);
      expect(t.created.size).toBeGreaterThan(100);
    });
  });

  describe('deployment requiring signatures', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const signing: SigningConfig = {
      required: true,
      maxSkewSeconds: 60,
      maxAgeSeconds: 300,
      keys: [{ id: 'fuzz-key', publicKey: rawPublicKeyBase64(publicKey), status: 'active', notBefore: null, notAfter: null }],
    };
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner(securedConfig({ limits, signing }));
    });
    afterAll(async () => {
      await runner?.close();
    });

    const signatureMutation = fc.oneof(
      { weight: 5, arbitrary: fc.constant(null) },
      {
        weight: 1,
        arbitrary: fc.record({
          header: fc.constantFrom('beacon-key-id', 'beacon-timestamp', 'beacon-nonce', 'beacon-signature'),
          value: printable,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          header: fc.constantFrom('beacon-key-id', 'beacon-timestamp', 'beacon-nonce', 'beacon-signature'),
          value: fc.constant(undefined),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          header: fc.constant('beacon-timestamp'),
          value: fc.integer({ min: -7200, max: 7200 }).map((s) => new Date(Date.now() + s * 1000).toISOString()),
        }),
      },
      { weight: 1, arbitrary: fc.record({ header: fc.constant('replay'), value: fc.constant(undefined) }) },
    );
    let lastSigned: { bytes: Buffer; headers: Record<string, string> } | null = null;

    it('answers 4,000 signed, re-signed, tampered and replayed submissions the same way, and stores a nonce per accepted one', async () => {
      const t = tally();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(body, fc.boolean(), signatureMutation, async (b, signBeforeMutation, mutation) => {
          const headers: Record<string, string> = {
            authorization: `Bearer ${TOKENS.submitter.secret}`,
            'content-type': 'application/json',
          };
          let bytes: Buffer = b.bytes;
          let kind = `signed-${b.kind}`;
          if (mutation?.header === 'replay' && lastSigned) {
            bytes = lastSigned.bytes;
            Object.assign(headers, lastSigned.headers);
            kind = 'replay';
          } else {
            // Sign the unmutated spec and send the mutated bytes (tampering), or sign what is sent.
            const signedBytes = signBeforeMutation && b.kind !== 'generated' ? Buffer.from('{}') : bytes;
            Object.assign(headers, signBeaconRequest(signedBytes, { keyId: 'fuzz-key', privateKey, nonce: `fz-${process.pid}-${n++}` }));
            if (signedBytes !== bytes) kind = `tampered-${b.kind}`;
            if (mutation && mutation.header !== 'replay') {
              kind = `header-${mutation.header}`;
              if (mutation.value === undefined) delete headers[mutation.header];
              else headers[mutation.header] = mutation.value;
            }
            lastSigned = { bytes, headers: { ...headers } };
          }
          const before = t.accepted;
          await send(runner.baseUrl, bytes, headers, t, kind);
          if (t.accepted > before) t.signedAccepted++;
        }),
        { numRuns: 4000, endOnFailure: true },
      );
      await verifyRows(runner, t);
      results.push(
        `fuzz (signed): ${t.requests} requests, ${t.accepted} accepted (${t.created.size} jobs created), kinds ${JSON.stringify(Object.fromEntries(t.kinds))}, ` +
          `refusals ${JSON.stringify(Object.fromEntries([...t.rejected].sort((a, b) => b[1] - a[1])))}`,
      );
      expect(t.requests).toBeGreaterThanOrEqual(4000);
      expect(t.rejected.get('409 nonce_replayed')).toBeGreaterThan(0);
      expect(t.created.size).toBeGreaterThan(50);
    });
  });
});
