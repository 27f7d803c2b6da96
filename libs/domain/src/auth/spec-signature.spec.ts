import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { defaultConfig } from '../config/default-config.data.js';
import { normaliseJobSpec } from '../job-spec/job-spec.normaliser.js';
import type { SigningConfig } from './auth.types.js';
import { goCanonicalForms } from './spec-canonical.js';
import { rawPublicKeyBase64, signBeaconRequest, verifySpecSignature, type SignatureCheck } from './spec-signature.js';

const NOW = new Date('2025-10-14T21:21:00.000Z');

function keyPair(): { publicKey: KeyObject; privateKey: KeyObject; b64: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey, privateKey, b64: rawPublicKeyBase64(publicKey) };
}

const good = keyPair();
const revoked = keyPair();
const old = keyPair();
const stranger = keyPair();
const config: SigningConfig = {
  required: true,
  maxSkewSeconds: 300,
  maxAgeSeconds: 600,
  keys: [
    { id: 'portal-1', publicKey: good.b64, status: 'active', notBefore: '2025-01-01T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' },
    { id: 'leaked', publicKey: revoked.b64, status: 'revoked', notBefore: null, notAfter: null },
    {
      id: 'old',
      publicKey: old.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      status: 'active',
      notBefore: null,
      notAfter: '2025-06-30T00:00:00Z',
    },
  ],
};

const body = JSON.stringify({ id: 'signed-1', questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] });

function beacon(opts: { key?: KeyObject; keyId?: string; ts?: string; nonce?: string; body?: string; sent?: string } = {}): SignatureCheck {
  const headers = signBeaconRequest(opts.body ?? body, {
    keyId: opts.keyId ?? 'portal-1',
    privateKey: opts.key ?? good.privateKey,
    nonce: opts.nonce ?? 'nonce-0001',
    timestamp: opts.ts ?? '2025-10-14T21:20:55.858Z',
  });
  const sent = opts.sent ?? opts.body ?? body;
  return verifySpecSignature({ body: Buffer.from(sent), value: JSON.parse(sent), headers }, config, NOW);
}

/** Signs a Go runner spec exactly as the Go portal does: drop signature, public_key and id, sort keys, JSON.stringify. */
function portalSign(spec: Record<string, unknown>, key: { privateKey: KeyObject; b64: string }): Record<string, unknown> {
  const { signature: _s, public_key: _p, id: _i, ...signable } = spec;
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
  const canonical = JSON.stringify(sortKeys(signable));
  return { ...spec, signature: sign(null, Buffer.from(canonical), key.privateKey).toString('base64'), public_key: key.b64 };
}

const goSpec = {
  id: 'bias-detection-1760476855858',
  version: 'v1',
  benchmark: {
    name: 'multi-model-bias-detection',
    version: 'v1',
    description: 'Compare <answers> & refusals',
    input: { type: 'prompt', data: { prompt: 'x' }, hash: 'sha256:placeholder' },
  },
  constraints: { regions: ['US', 'EU'], min_regions: 1, timeout: 600000000000 },
  metadata: { created_by: 'portal', models: ['llama3.2-1b'], timestamp: '2025-10-14T21:20:55.858Z', nonce: 'k3J9abcdEFGH1234567890' },
  questions: ['tiananmen_neutral'],
  created_at: '2025-10-14T21:20:55.858Z',
};

function go(spec: Record<string, unknown>, wrap = false): SignatureCheck {
  const value = wrap ? { jobspec: spec, target_regions: ['US', 'EU'], min_regions: 1 } : spec;
  const text = JSON.stringify(value);
  return verifySpecSignature({ body: Buffer.from(text), value, headers: {} }, config, NOW);
}

const codeOf = (c: SignatureCheck) => (c.ok ? 'ok' : c.failure.code);

describe(verifySpecSignature.name, () => {
  it('accepts a valid Beacon header signature and returns the key, nonce and when the nonce may be forgotten', () => {
    const c = beacon();
    expect(c).toEqual({
      ok: true,
      signature: {
        keyId: 'portal-1',
        form: 'beacon',
        nonce: 'nonce-0001',
        signedAt: new Date('2025-10-14T21:20:55.858Z'),
        nonceExpiresAt: new Date(NOW.getTime() + 900_000),
      },
    });
  });

  it('refuses a body changed after signing, even by one byte of whitespace', () => {
    expect(codeOf(beacon({ sent: body.replace('us-east', 'eu-west') }))).toBe('signature_invalid');
    expect(codeOf(beacon({ sent: body + ' ' }))).toBe('signature_invalid');
  });

  it('gives each failure its own code and status', () => {
    const cases: [string, SignatureCheck, string, number][] = [
      ['unknown key id', beacon({ keyId: 'nobody' }), 'key_unknown', 403],
      ['right id, wrong private key', beacon({ key: stranger.privateKey }), 'signature_invalid', 403],
      ['revoked key', beacon({ keyId: 'leaked', key: revoked.privateKey }), 'key_revoked', 403],
      ['key past notAfter', beacon({ keyId: 'old', key: old.privateKey }), 'key_expired', 403],
      ['timestamp 10 min ahead', beacon({ ts: '2025-10-14T21:31:00Z' }), 'timestamp_skew', 403],
      ['timestamp 11 min old', beacon({ ts: '2025-10-14T21:10:00Z' }), 'timestamp_stale', 403],
      ['timestamp not RFC 3339', beacon({ ts: 'yesterday' }), 'timestamp_invalid', 400],
      ['nonce with spaces', beacon({ nonce: 'not a nonce' }), 'nonce_invalid', 400],
    ];
    for (const [name, check, code, status] of cases) {
      expect([name, codeOf(check)]).toEqual([name, code]);
      if (!check.ok) {
        expect(check.failure.status).toBe(status);
        expect(check.failure.message.length).toBeGreaterThan(10);
      }
    }
  });

  it('names the missing header', () => {
    const headers = signBeaconRequest(body, {
      keyId: 'portal-1',
      privateKey: good.privateKey,
      nonce: 'nonce-0001',
      timestamp: '2025-10-14T21:20:55Z',
    });
    const without = (h: string) =>
      verifySpecSignature({ body: Buffer.from(body), value: JSON.parse(body), headers: { ...headers, [h]: undefined } }, config, NOW);
    expect(without('beacon-nonce')).toMatchObject({ ok: false, failure: { code: 'nonce_missing', path: 'beacon-nonce' } });
    expect(without('beacon-timestamp')).toMatchObject({ ok: false, failure: { code: 'timestamp_missing', path: 'beacon-timestamp' } });
    expect(without('beacon-key-id')).toMatchObject({ ok: false, failure: { code: 'signature_missing', path: 'beacon-key-id' } });
    expect(verifySpecSignature({ body: Buffer.from(body), value: JSON.parse(body), headers: {} }, config, NOW)).toMatchObject({
      ok: false,
      failure: { code: 'signature_missing', status: 400 },
    });
    expect(
      verifySpecSignature(
        { body: Buffer.from(body), value: JSON.parse(body), headers: { ...headers, 'beacon-signature': 'abc' } },
        config,
        NOW,
      ),
    ).toMatchObject({ ok: false, failure: { code: 'signature_malformed' } });
  });

  it('accepts a spec signed by the Go portal (bare and in the cross-region wrapper), and refuses it tampered', () => {
    const signed = portalSign(goSpec, good);
    expect(go(signed)).toMatchObject({ ok: true, signature: { keyId: 'portal-1', form: 'go-raw', nonce: 'k3J9abcdEFGH1234567890' } });
    expect(go(signed, true)).toMatchObject({ ok: true, signature: { form: 'go-raw' } });
    // The id is not signed (the runner assigns it), everything else is.
    expect(codeOf(go({ ...signed, id: 'renamed' }))).toBe('ok');
    expect(codeOf(go({ ...signed, questions: ['taiwan_status'] }))).toBe('signature_invalid');
    expect(codeOf(go({ ...signed, metadata: { ...goSpec.metadata, nonce: 'another-nonce-123' } }))).toBe('signature_invalid');
    const redirected = { jobspec: signed, target_regions: ['US', 'EU', 'ASIA'] };
    expect(
      verifySpecSignature({ body: Buffer.from(JSON.stringify(redirected)), value: redirected, headers: {} }, config, NOW),
    ).toMatchObject({ ok: false, failure: { code: 'unsigned_override', path: '$.target_regions' } });
  });

  it('accepts the Go runner CanonicalizeJobSpecV1 form: no created_at, no null, "", 0 or empty objects, Go escaping', () => {
    const spec = { ...goSpec, constraints: { ...goSpec.constraints, min_success_rate: 0 }, runs: 0, wallet_auth: {}, extra: null };
    const v1 = goCanonicalForms(spec).find((f) => f.name === 'go-v1-escaped')!;
    expect(v1.text).not.toContain('created_at');
    expect(v1.text).not.toContain('min_success_rate');
    expect(v1.text).toContain('\\u003canswers\\u003e \\u0026 refusals');
    const signed = { ...spec, signature: sign(null, Buffer.from(v1.text), good.privateKey).toString('base64'), public_key: good.b64 };
    expect(go(signed)).toMatchObject({ ok: true, signature: { form: 'go-v1-escaped' } });
  });

  it('checks the Go form for a trusted key, a timestamp and a nonce', () => {
    expect(codeOf(go(portalSign(goSpec, stranger)))).toBe('key_unknown');
    expect(codeOf(go(portalSign(goSpec, revoked)))).toBe('key_revoked');
    const { nonce: _n, ...noNonce } = goSpec.metadata;
    expect(go(portalSign({ ...goSpec, metadata: noNonce }, good))).toMatchObject({
      ok: false,
      failure: { code: 'nonce_missing', path: '$.metadata.nonce' },
    });
    expect(codeOf(go(portalSign({ ...goSpec, metadata: { ...goSpec.metadata, timestamp: '2025-10-14T20:00:00Z' } }, good)))).toBe(
      'timestamp_stale',
    );
    expect(codeOf(go({ ...goSpec, signature: 'AAAA' }))).toBe('signature_missing');
  });

  it('defect 13.10: unsigned portal wrapper fields may repeat what the signed spec decides, never change it', () => {
    const signed = portalSign(goSpec, good);
    const check = (wrapper: Record<string, unknown>) =>
      verifySpecSignature({ body: Buffer.from(JSON.stringify(wrapper)), value: wrapper, headers: {} }, config, NOW);
    // The Go portal's own wrapper repeats the signed regions and constraints (min_success_rate is the default 0.67).
    expect(
      check({ jobspec: signed, target_regions: ['EU', 'US'], min_regions: 1, min_success_rate: 0.67, enable_analysis: true }),
    ).toMatchObject({ ok: true });
    expect(check({ jobspec: signed, min_regions: 2 })).toMatchObject({
      ok: false,
      failure: { code: 'unsigned_override', path: '$.min_regions', status: 403 },
    });
    expect(check({ jobspec: signed, min_success_rate: 0.1 })).toMatchObject({
      ok: false,
      failure: { code: 'unsigned_override', path: '$.min_success_rate' },
    });
    expect(check({ jobspec: signed, min_success_rate: 1 })).toMatchObject({
      ok: false,
      failure: { code: 'unsigned_override', path: '$.min_success_rate' },
    });
    expect(check({ jobspec: signed, target_regions: ['US'] })).toMatchObject({
      ok: false,
      failure: { code: 'unsigned_override', path: '$.target_regions' },
    });

    // Every field a wrapper could carry, with values that differ from the signed ones: each is either refused, or the
    // job it normalises to is exactly the signed spec's.
    const cfg = defaultConfig();
    const reference = normaliseJobSpec({ jobspec: signed }, cfg);
    expect(reference.ok).toBe(true);
    const hostile: Record<string, unknown[]> = {
      target_regions: [['US'], ['US', 'EU', 'ASIA'], []],
      min_regions: [2, 1, 0],
      min_success_rate: [0, 0.1, 0.67, 1],
      regions: [['US']],
      models: [['mistral-7b']],
      questions: [['taiwan_status']],
      repeats: [5],
      max_attempts: [9],
      constraints: [{ regions: ['US'], min_regions: 2, min_success_rate: 0 }],
      metadata: [{ models: ['mistral-7b'] }],
      parameters: [{ temperature: 1.5, max_tokens: 7 }],
      benchmark: [{ name: 'other' }],
      id: ['other-id'],
      jobspec_id: ['other-id'],
      name: ['other'],
      description: ['other'],
      version: ['v9'],
      created_by: ['mallory'],
      created_at: ['2020-01-01T00:00:00Z'],
      timeout: [1],
      enable_analysis: [false],
    };
    for (const [key, values] of Object.entries(hostile)) {
      for (const v of values) {
        const wrapper = { jobspec: signed, [key]: v };
        const c = check(wrapper);
        if (!c.ok) {
          expect([key, v, c.failure.code, c.failure.path]).toEqual([key, v, 'unsigned_override', `$.${key}`]);
          continue;
        }
        const result = normaliseJobSpec(wrapper, cfg);
        expect([key, v, result.ok && result.spec]).toEqual([key, v, reference.ok && reference.spec]);
      }
    }
  });

  it('defect 13.10: zero values a CanonicalizeJobSpecV1 signature leaves out do not change the signed job', () => {
    const signV1 = (spec: Record<string, unknown>) => {
      const v1 = goCanonicalForms(spec).find((f) => f.name === 'go-v1-escaped')!;
      return { ...spec, signature: sign(null, Buffer.from(v1.text), good.privateKey).toString('base64'), public_key: good.b64 };
    };
    const cfg = defaultConfig();
    const read = (c: SignatureCheck, sent: Record<string, unknown>) => {
      const result = normaliseJobSpec((c.ok && c.signature.readAs) || sent, cfg);
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return result.spec;
    };
    const signed = signV1(goSpec);
    const reference = read(go(signed), signed);
    // The v1 form drops 0, "" and null, so these verify against the same signature: they must not count.
    const tampered = {
      ...signed,
      parameters: { temperature: 0 },
      constraints: { ...goSpec.constraints, min_success_rate: 0 },
      extra: null,
      note: '',
    };
    const check = go(tampered);
    expect(check).toMatchObject({ ok: true, signature: { form: 'go-v1-escaped' } });
    const spec = read(check, tampered);
    expect(spec.parameters.temperature).toBe(cfg.defaults.temperature);
    expect(spec.constraints.minSuccessRate).toBe(0.67);
    expect(spec).toEqual(reference);
    // In the portal wrapper too; and the raw form covers every value, zeros included.
    const inWrapper = (jobspec: Record<string, unknown>) => {
      const wrapped = { jobspec, target_regions: ['US', 'EU'] };
      return read(verifySpecSignature({ body: Buffer.from(JSON.stringify(wrapped)), value: wrapped, headers: {} }, config, NOW), wrapped);
    };
    expect(inWrapper(tampered)).toEqual(inWrapper(signed));
    expect(inWrapper(tampered).parameters.temperature).toBe(cfg.defaults.temperature);
    expect(go({ ...portalSign(goSpec, good), parameters: { temperature: 0 } })).toMatchObject({
      ok: false,
      failure: { code: 'signature_invalid' },
    });
  });
});
