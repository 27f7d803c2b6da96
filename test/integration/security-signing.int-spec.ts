import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultConfig, goCanonicalForms, rawPublicKeyBase64, signBeaconRequest, type SigningConfig } from '@beacon/domain';
import { NonceCleanupService } from '../../apps/runner/src/auth/nonce-cleanup.service.js';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';
import { call, securedConfig, TOKENS } from '../utils/security.js';

const keys = Object.fromEntries(['good', 'revoked', 'expired', 'stranger'].map((k) => [k, generateKeyPairSync('ed25519')])) as Record<
  string,
  { publicKey: KeyObject; privateKey: KeyObject }
>;
const signing: SigningConfig = {
  required: true,
  maxSkewSeconds: 60,
  maxAgeSeconds: 300,
  keys: [
    { id: 'k-good', publicKey: rawPublicKeyBase64(keys.good!.publicKey), status: 'active', notBefore: null, notAfter: null },
    { id: 'k-revoked', publicKey: rawPublicKeyBase64(keys.revoked!.publicKey), status: 'revoked', notBefore: null, notAfter: null },
    {
      id: 'k-expired',
      publicKey: rawPublicKeyBase64(keys.expired!.publicKey),
      status: 'active',
      notBefore: '2020-01-01T00:00:00Z',
      notAfter: '2021-01-01T00:00:00Z',
    },
  ],
};

let seq = 0;
const nonce = () => `n-${Date.now()}-${seq++}`;
const spec = (id: string, regions = ['us-east']) => JSON.stringify({ id, questions: ['math_basic'], models: ['llama3.2-1b'], regions });

function signed(body: string, over: { keyId?: string; key?: KeyObject; nonce?: string; timestamp?: string } = {}): Record<string, string> {
  return signBeaconRequest(body, {
    keyId: over.keyId ?? 'k-good',
    privateKey: over.key ?? keys.good!.privateKey,
    nonce: over.nonce ?? nonce(),
    timestamp: over.timestamp,
  });
}

/** A Go runner spec signed the way the Go portal signs it. */
function portalSigned(id: string, n: string, wrapper: Record<string, unknown> = { target_regions: ['US', 'EU'], min_regions: 1 }): string {
  const spec = {
    id,
    version: 'v1',
    benchmark: { name: 'portal-bias', input: { type: 'prompt', data: { prompt: 'x' }, hash: 'sha256:placeholder' } },
    constraints: { regions: ['US', 'EU'], min_regions: 1 },
    metadata: { created_by: 'portal', models: ['llama3.2-1b'], timestamp: new Date().toISOString(), nonce: n },
    questions: ['math_basic'],
    created_at: new Date().toISOString(),
  };
  const { id: _id, ...signable } = spec;
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
          )
        : v;
  const signature = sign(null, Buffer.from(JSON.stringify(sortKeys(signable))), keys.good!.privateKey).toString('base64');
  return JSON.stringify({ jobspec: { ...spec, signature, public_key: rawPublicKeyBase64(keys.good!.publicKey) }, ...wrapper });
}

async function counts(r: TestRunner): Promise<{ jobs: number; executions: number; nonces: number }> {
  const [row] = await r.ds.query(`SELECT (SELECT count(*) FROM jobs)::int AS jobs, (SELECT count(*) FROM executions)::int AS executions,
    (SELECT count(*) FROM spec_nonces)::int AS nonces`);
  return row;
}

describe('signed job specs', () => {
  let runner: TestRunner;
  const post = (body: string, headers: Record<string, string> = {}) =>
    call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.submitter.secret, body, headers });
  beforeAll(async () => {
    runner = await startTestRunner(securedConfig({ signing, limits: { maxJobsInFlightPerToken: 1000 } }));
  });
  afterAll(async () => {
    await runner?.close();
  });

  it("accepts a spec signed in Beacon's header form and records its nonce with the job", async () => {
    const body = spec('signed-ok');
    const headers = signed(body);
    const res = await post(body, headers);
    expect(res.status).toBe(201);
    const rows = await runner.ds.query('SELECT key_id, nonce, job_id, expires_at > now() AS live FROM spec_nonces WHERE job_id = $1', [
      'signed-ok',
    ]);
    expect(rows).toEqual([{ key_id: 'k-good', nonce: headers['beacon-nonce'], job_id: 'signed-ok', live: true }]);
  });

  it('accepts a spec signed by the Go portal, in its cross-region wrapper', async () => {
    const res = await post(portalSigned('portal-signed-1', nonce()));
    expect(res.status).toBe(201);
    expect(res.body.cells).toBe(2);
  });

  it('refuses each bad signature with its own code, and leaves no row', async () => {
    const before = await counts(runner);
    const body = spec('signed-bad');
    const past = new Date(Date.now() - 600_000).toISOString();
    const future = new Date(Date.now() + 600_000).toISOString();
    const cases: [string, string, Record<string, string>, number, string][] = [
      ['unsigned', body, {}, 400, 'signature_missing'],
      ['tampered body', spec('signed-bad', ['eu-west']), signed(body), 403, 'signature_invalid'],
      ['unknown key', body, signed(body, { keyId: 'k-nobody' }), 403, 'key_unknown'],
      ['signed by another key', body, signed(body, { key: keys.stranger!.privateKey }), 403, 'signature_invalid'],
      ['revoked key', body, signed(body, { keyId: 'k-revoked', key: keys.revoked!.privateKey }), 403, 'key_revoked'],
      ['expired key', body, signed(body, { keyId: 'k-expired', key: keys.expired!.privateKey }), 403, 'key_expired'],
      ['skewed timestamp', body, signed(body, { timestamp: future }), 403, 'timestamp_skew'],
      ['stale timestamp', body, signed(body, { timestamp: past }), 403, 'timestamp_stale'],
      ['no nonce', body, { ...signed(body, { nonce: '' }), 'beacon-nonce': '' }, 400, 'nonce_missing'],
      ['tampered Go spec', portalSigned('portal-bad', nonce()).replace('"math_basic"', '"taiwan_status"'), {}, 403, 'signature_invalid'],
    ];
    for (const [name, sent, headers, status, code] of cases) {
      const res = await post(sent, headers);
      expect([name, res.status, res.body.error]).toEqual([name, status, code]);
      expect(res.body.message.length).toBeGreaterThan(10);
    }
    expect(await counts(runner)).toEqual(before);
  });

  it('defect 13.10: a signed portal wrapper cannot change the signed constraints through its unsigned fields', async () => {
    const before = await counts(runner);
    const overrides: Record<string, unknown>[] = [
      { min_regions: 2 },
      { min_success_rate: 0.01 },
      { target_regions: ['US'] },
      { target_regions: ['US', 'EU'], min_regions: 2, min_success_rate: 0.67 },
    ];
    for (const wrapper of overrides) {
      const res = await post(portalSigned('portal-override', nonce(), wrapper));
      expect([wrapper, res.status, res.body.error]).toEqual([wrapper, 403, 'unsigned_override']);
      expect(res.body.problems[0].path).toMatch(/^\$\.(min_regions|min_success_rate|target_regions)$/);
    }
    expect(await counts(runner)).toEqual(before);
    // The portal's own wrapper repeats the signed values (min_success_rate 0.67 is the signed default): accepted.
    const res = await post(
      portalSigned('portal-same', nonce(), { target_regions: ['EU', 'US'], min_regions: 1, min_success_rate: 0.67, enable_analysis: true }),
    );
    expect(res.status).toBe(201);
    const [job] = await runner.ds.query(`SELECT spec->'constraints' AS c FROM jobs WHERE id = 'portal-same'`);
    expect(job.c).toMatchObject({ minRegions: 1, minSuccessRate: 0.67 });
  });

  it('defect 13.10: values the Go runner\'s v1 signature form leaves out (0, "", null) do not change the stored job', async () => {
    const spec = {
      id: 'v1-zeros',
      version: 'v1',
      benchmark: { name: 'portal-bias', input: { type: 'prompt', data: { prompt: 'x' }, hash: 'sha256:placeholder' } },
      constraints: { regions: ['US', 'EU'], min_regions: 1 },
      metadata: { created_by: 'portal', models: ['llama3.2-1b'], timestamp: new Date().toISOString(), nonce: nonce() },
      questions: ['math_basic'],
    };
    const v1 = goCanonicalForms(spec).find((f) => f.name === 'go-v1')!;
    const signature = sign(null, Buffer.from(v1.text), keys.good!.privateKey).toString('base64');
    const sent = {
      ...spec,
      signature,
      public_key: rawPublicKeyBase64(keys.good!.publicKey),
      parameters: { temperature: 0 },
      constraints: { ...spec.constraints, min_success_rate: 0 },
    };
    const res = await post(JSON.stringify({ jobspec: sent, target_regions: ['US', 'EU'] }));
    expect(res.status).toBe(201);
    const [job] = await runner.ds.query(`SELECT spec FROM jobs WHERE id = 'v1-zeros'`);
    expect(job.spec.parameters.temperature).toBe(defaultConfig().defaults.temperature);
    expect(job.spec.constraints.minSuccessRate).toBe(0.67);
  });

  it('accepts a signed request once: a replay is refused with 409, even when sent many times at once', async () => {
    const body = spec('replayed');
    const headers = signed(body);
    expect((await post(body, headers)).status).toBe(201);
    const before = await counts(runner);
    const again = await post(body, headers);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'nonce_replayed', message: expect.stringContaining('k-good') });
    expect(await counts(runner)).toEqual(before);

    const fresh = spec('raced');
    const raced = signed(fresh);
    const results = await Promise.all(Array.from({ length: 12 }, () => post(fresh, raced)));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(11).fill(409)]);
    const [n] = await runner.ds.query(`SELECT count(*)::int AS n FROM spec_nonces WHERE job_id = 'raced'`);
    expect(n.n).toBe(1);
  });

  it('leaves no nonce behind when the signed spec is refused afterwards (conflicting id)', async () => {
    const before = await counts(runner);
    const conflicting = spec('signed-ok', ['eu-west']);
    const res = await post(conflicting, signed(conflicting));
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('job_conflict');
    const invalid = JSON.stringify({ id: 'nope', questions: ['no_such_q'], models: ['llama3.2-1b'], regions: ['us-east'] });
    expect((await post(invalid, signed(invalid))).status).toBe(400);
    expect(await counts(runner)).toEqual(before);
  });

  it('forgets nonces once they have expired (their timestamps are refused as stale by then)', async () => {
    await runner.ds.query(`INSERT INTO spec_nonces (key_id, nonce, job_id, signed_at, expires_at)
      VALUES ('k-good', 'old-nonce-1', 'x', now() - interval '1 hour', now() - interval '1 minute')`);
    const deleted = await runner.app.get(NonceCleanupService).sweep();
    expect(deleted).toBe(1);
    const [left] = await runner.ds.query(`SELECT count(*)::int AS n FROM spec_nonces WHERE nonce = 'old-nonce-1'`);
    expect(left.n).toBe(0);
    expect((await counts(runner)).nonces).toBeGreaterThan(0);
  });
});
