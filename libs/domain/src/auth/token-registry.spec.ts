import { describe, expect, it } from '@jest/globals';
import { hashToken } from './token-hash.js';
import { parseTokensEnv, TokenRegistry, tokenSetProblems } from './token-registry.js';

describe(TokenRegistry.name, () => {
  const entries = [
    { name: 'ci', role: 'submitter' as const, hash: hashToken('tok-ci') },
    { name: 'ops', role: 'operator' as const, hash: hashToken('tok-ops', 'scrypt') },
  ];

  it('finds the principal of a known token and null for any other', () => {
    const reg = new TokenRegistry(entries);
    expect(reg.enabled).toBe(true);
    expect(reg.authenticate('tok-ci')).toEqual({ name: 'ci', role: 'submitter', kind: 'token' });
    expect(reg.authenticate('tok-ops')).toEqual({ name: 'ops', role: 'operator', kind: 'token' });
    expect(reg.authenticate('tok-ops')).toEqual({ name: 'ops', role: 'operator', kind: 'token' });
    expect(reg.authenticate('tok-x')).toBeNull();
    expect(new TokenRegistry([]).enabled).toBe(false);
  });
});

describe(parseTokensEnv.name, () => {
  it('reads name:role:hash entries separated by spaces or commas', () => {
    const h = hashToken('a');
    const { tokens, problems } = parseTokensEnv(` alice:admin:${h}, bob:viewer:${h}\n`);
    expect(problems).toEqual([]);
    expect(tokens.map((t) => [t.name, t.role])).toEqual([['alice', 'admin'], ['bob', 'viewer']]);
    expect(tokens[0]!.hash).toBe(h);
  });

  it('names each malformed entry by position and field', () => {
    const { tokens, problems } = parseTokensEnv(`alice:root:${hashToken('a')} bob plain:viewer:secret`);
    expect(tokens).toEqual([]);
    expect(problems).toEqual([
      { path: 'BEACON_AUTH_TOKENS[0].role', message: 'must be one of viewer, submitter, operator, admin' },
      { path: 'BEACON_AUTH_TOKENS[1]', message: 'must be name:role:hash' },
      { path: 'BEACON_AUTH_TOKENS[2].hash', message: expect.stringMatching(/sha256/) },
    ]);
  });

  it('reports duplicate names', () => {
    const h = hashToken('a');
    expect(tokenSetProblems([{ name: 'a', role: 'viewer', hash: h }, { name: 'a', role: 'admin', hash: h }], 'auth.tokens'))
      .toEqual([{ path: 'auth.tokens[1].name', message: 'duplicate token name "a"' }]);
  });
});
