import { describe, expect, it } from '@jest/globals';
import { createToken, hashToken, TOKEN_PREFIX, tokenHashProblem, verifyToken } from './token-hash.js';

describe(hashToken.name, () => {
  it('makes distinct random tokens with the prefix and 256 bits', () => {
    const a = createToken();
    const b = createToken();
    expect(a).not.toBe(b);
    expect(a.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(a.slice(TOKEN_PREFIX.length), 'base64url')).toHaveLength(32);
  });

  it('stores a sha256 hash that verifies the token and nothing else, and never contains it', () => {
    const token = createToken();
    const hash = hashToken(token);
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hash).not.toContain(token.slice(TOKEN_PREFIX.length));
    expect(verifyToken(token, hash)).toBe(true);
    expect(verifyToken(token + 'x', hash)).toBe(false);
    expect(verifyToken('', hash)).toBe(false);
    expect(tokenHashProblem(hash)).toBeNull();
  });

  it('salts scrypt hashes, so one token gives two hashes that both verify it', () => {
    const token = 'correct horse battery staple';
    const h1 = hashToken(token, 'scrypt');
    const h2 = hashToken(token, 'scrypt');
    expect(h1).not.toBe(h2);
    expect(h1).toMatch(/^scrypt:16384:8:1:/);
    expect(verifyToken(token, h1)).toBe(true);
    expect(verifyToken(token, h2)).toBe(true);
    expect(verifyToken('correct horse battery stapler', h1)).toBe(false);
    expect(tokenHashProblem(h1)).toBeNull();
  });

  it('treats malformed hashes (and a token pasted as its own hash) as matching nothing, with a reason', () => {
    const token = createToken();
    for (const bad of [token, 'sha256:XYZ', 'md5:abc', 'scrypt:1000:8:1:c2FsdA==:a2V5']) {
      expect(verifyToken(token, bad)).toBe(false);
      expect(tokenHashProblem(bad)).toMatch(/.+/);
    }
    expect(tokenHashProblem('scrypt:1000:8:1:c2FsdHNhbHRzYWx0:a2V5a2V5a2V5a2V5a2V5a2V5')).toMatch(/power of two/);
  });
});
