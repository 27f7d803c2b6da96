import { describe, expect, it } from '@jest/globals';
import { createToken, hashToken } from './token-hash.js';
import { parseTokensEnv, TokenRegistry, tokenSetProblems } from './token-registry.js';

describe(TokenRegistry.name, () => {
  const fresh = createToken();
  const entries = [
    { name: 'ci', role: 'submitter' as const, hash: hashToken('tok-ci') },
    { name: 'ops', role: 'operator' as const, hash: hashToken('tok-ops', 'scrypt') },
    { name: 'new', role: 'viewer' as const, hash: hashToken(fresh.token, 'scrypt'), id: fresh.id },
  ];

  it('finds the principal of a known token and null for any other', async () => {
    const reg = new TokenRegistry(entries);
    expect(reg.enabled).toBe(true);
    expect(await reg.authenticate('tok-ci')).toEqual({ name: 'ci', role: 'submitter', kind: 'token' });
    expect(await reg.authenticate('tok-ops')).toEqual({ name: 'ops', role: 'operator', kind: 'token' });
    expect(await reg.authenticate('tok-ops')).toEqual({ name: 'ops', role: 'operator', kind: 'token' });
    expect(await reg.authenticate(fresh.token)).toEqual({ name: 'new', role: 'viewer', kind: 'token' });
    expect(await reg.authenticate('tok-x')).toBeNull();
    expect(new TokenRegistry([]).enabled).toBe(false);
  });

  it('needs no slow hash for sha256 entries, remembered tokens, or a token whose id no entry holds', async () => {
    const reg = new TokenRegistry(entries);
    expect(reg.lookup('tok-ci')).toEqual({ kind: 'known', principal: { name: 'ci', role: 'submitter', kind: 'token' } });
    // An id names its one entry; an unknown id is refused outright, and an id never falls back to entries without one.
    expect(reg.lookup(fresh.token)).toEqual({ kind: 'slow', candidates: [entries[2]] });
    expect(reg.lookup(createToken().token)).toEqual({ kind: 'unknown' });
    expect(reg.lookup('a-guess')).toEqual({ kind: 'slow', candidates: [entries[1]] });
    expect(await reg.verify(fresh.token, [entries[2]!])).toMatchObject({ kind: 'known' });
    expect(reg.lookup(fresh.token)).toMatchObject({ kind: 'known' });
    expect(await reg.verify('a-guess', [entries[1]!])).toEqual({ kind: 'unknown' });
    expect(reg.lookup('a-guess')).toEqual({ kind: 'unknown' });
    // Without scrypt entries lacking an id, no unknown token ever costs a slow hash.
    expect(new TokenRegistry([entries[0]!, entries[2]!]).lookup('another-guess')).toEqual({ kind: 'unknown' });
  });

  it('runs at most maxConcurrentHashes slow checks, queues maxQueuedHashes, and answers busy past that', async () => {
    const reg = new TokenRegistry(entries, { maxConcurrentHashes: 1, maxQueuedHashes: 2 });
    const verdicts = await Promise.all(Array.from({ length: 6 }, (_, i) => reg.verify(`guess-${i}`, [entries[1]!])));
    expect(verdicts.map((v) => v.kind)).toEqual(['unknown', 'unknown', 'unknown', 'busy', 'busy', 'busy']);
    expect(reg.pendingChecks).toBe(0);
    expect(await reg.verify('tok-ops', [entries[1]!])).toMatchObject({ kind: 'known' });
  });
});

describe(parseTokensEnv.name, () => {
  it('reads name:role:hash and name:role:id:hash entries separated by spaces or commas', () => {
    const h = hashToken('a');
    const s = hashToken('b', 'scrypt');
    const { tokens, problems } = parseTokensEnv(` alice:admin:${h}, bob:viewer:${h}\n carol:viewer:0123456789ab:${s}`);
    expect(problems).toEqual([]);
    expect(tokens.map((t) => [t.name, t.role, t.id])).toEqual([
      ['alice', 'admin', undefined],
      ['bob', 'viewer', undefined],
      ['carol', 'viewer', '0123456789ab'],
    ]);
    expect(tokens[0]!.hash).toBe(h);
    expect(tokens[2]!.hash).toBe(s);
    expect(parseTokensEnv(`dave:viewer:XYZ:${h}`).problems).toEqual([
      { path: 'BEACON_AUTH_TOKENS[0].id', message: expect.stringMatching(/12 lower-case hex/) },
    ]);
  });

  it('names each malformed entry by position and field', () => {
    const { tokens, problems } = parseTokensEnv(`alice:root:${hashToken('a')} bob plain:viewer:secret`);
    expect(tokens).toEqual([]);
    expect(problems).toEqual([
      { path: 'BEACON_AUTH_TOKENS[0].role', message: 'must be one of viewer, submitter, operator, admin' },
      { path: 'BEACON_AUTH_TOKENS[1]', message: 'must be name:role:hash or name:role:id:hash' },
      { path: 'BEACON_AUTH_TOKENS[2].hash', message: expect.stringMatching(/sha256/) },
    ]);
  });

  it('reports duplicate names', () => {
    const h = hashToken('a');
    expect(
      tokenSetProblems(
        [
          { name: 'a', role: 'viewer', hash: h },
          { name: 'a', role: 'admin', hash: h },
        ],
        'auth.tokens',
      ),
    ).toEqual([{ path: 'auth.tokens[1].name', message: 'duplicate token name "a"' }]);
  });
});
