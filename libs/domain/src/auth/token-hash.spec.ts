import { describe, expect, it } from '@jest/globals';
import { createToken, hashToken, TOKEN_PREFIX, tokenHashProblem, tokenIdOf, verifyToken } from './token-hash.js';

describe(hashToken.name, () => {
  it('makes distinct random tokens bct_<public id>_<256-bit secret>', () => {
    const a = createToken();
    const b = createToken();
    expect(a.token).not.toBe(b.token);
    expect(a.id).not.toBe(b.id);
    expect(a.token.startsWith(`${TOKEN_PREFIX}${a.id}_`)).toBe(true);
    expect(a.id).toMatch(/^[0-9a-f]{12}$/);
    expect(Buffer.from(a.token.slice(TOKEN_PREFIX.length + 13), 'base64url')).toHaveLength(32);
    expect(tokenIdOf(a.token)).toBe(a.id);
    // Older tokens and chosen ones carry no id.
    expect(tokenIdOf(`bct_${'A'.repeat(43)}`)).toBeNull();
    expect(tokenIdOf('correct-horse-battery-staple')).toBeNull();
    expect(tokenIdOf(`${a.token}x`)).toBeNull();
  });

  it('stores a sha256 hash that verifies the token and nothing else, and never contains it', async () => {
    const { token } = createToken();
    const hash = hashToken(token);
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hash).not.toContain(token.slice(TOKEN_PREFIX.length + 13));
    expect(await verifyToken(token, hash)).toBe(true);
    expect(await verifyToken(token + 'x', hash)).toBe(false);
    expect(await verifyToken('', hash)).toBe(false);
    expect(tokenHashProblem(hash)).toBeNull();
  });

  it('salts scrypt hashes, so one token gives two hashes that both verify it', async () => {
    const token = 'correct horse battery staple';
    const h1 = hashToken(token, 'scrypt');
    const h2 = hashToken(token, 'scrypt');
    expect(h1).not.toBe(h2);
    expect(h1).toMatch(/^scrypt:16384:8:1:/);
    expect(await verifyToken(token, h1)).toBe(true);
    expect(await verifyToken(token, h2)).toBe(true);
    expect(await verifyToken('correct horse battery stapler', h1)).toBe(false);
    expect(tokenHashProblem(h1)).toBeNull();
  });

  it('treats malformed hashes (and a token pasted as its own hash) as matching nothing, with a reason', async () => {
    const { token } = createToken();
    for (const bad of [token, 'sha256:XYZ', 'md5:abc', 'scrypt:1000:8:1:c2FsdA==:a2V5']) {
      expect(await verifyToken(token, bad)).toBe(false);
      expect(tokenHashProblem(bad)).toMatch(/.+/);
    }
    expect(tokenHashProblem('scrypt:1000:8:1:c2FsdHNhbHRzYWx0:a2V5a2V5a2V5a2V5a2V5a2V5')).toMatch(/power of two/);
    expect(tokenHashProblem('scrypt:1048576:8:1:c2FsdHNhbHRzYWx0:a2V5a2V5a2V5a2V5a2V5a2V5')).toMatch(/at most 2097152/);
  });
});
