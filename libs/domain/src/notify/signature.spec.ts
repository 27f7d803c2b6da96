import { webcrypto } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { signatureDigest, signatureHeader, verifySignature } from './signature.js';

/** HMAC-SHA256 by WebCrypto: an implementation independent of the one under test (node's createHmac). */
async function webCryptoHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await webcrypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return Buffer.from(await webcrypto.subtle.sign('HMAC', key, enc.encode(message))).toString('hex');
}

describe('webhook signature', () => {
  it("matches a vector computed with openssl (printf '%s' '1700000000.{\"a\":1}' | openssl dgst -sha256 -hmac KEY)", () => {
    expect(signatureHeader('whsec-test-0123456789abcdef', '{"a":1}', 1_700_000_000)).toBe(
      't=1700000000,v1=8db04f7cda9bcceecaab81d860aebcc7f4382f5cae3862f9075ee2a2770e4123',
    );
  });

  it('equals WebCrypto HMAC-SHA256 of "<t>.<body>" for any key, time and body (unicode included)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 16, maxLength: 64, unit: 'grapheme' }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.string({ maxLength: 2000, unit: 'binary' }),
        async (secret, t, body) => {
          expect(signatureDigest(secret, t, body)).toBe(await webCryptoHex(secret, `${t}.${body}`));
          expect(verifySignature(signatureHeader(secret, body, t), body, secret, t)).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a changed body, another key, a stale time and a malformed header', () => {
    const secret = 'whsec-test-0123456789abcdef';
    const body = '{"deliveryId":"7","event":"finding"}';
    const header = signatureHeader(secret, body, 1_000);
    expect(verifySignature(header, body, secret, 1_100)).toBeNull();
    expect(verifySignature(header, body.replace('7', '8'), secret, 1_100)).toBe('mismatch');
    expect(verifySignature(header, body, `${secret}x`, 1_100)).toBe('mismatch');
    expect(verifySignature(header, body, secret, 1_000 + 301)).toBe('stale');
    for (const bad of [null, '', 't=abc,v1=00', `t=1000,v1=${'z'.repeat(64)}`, 'v1=only', header.replace('t=1000,', '')]) {
      expect([bad, verifySignature(bad, body, secret, 1_000)]).toEqual([bad, 'malformed']);
    }
  });
});
