import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../problems/config.error.js';
import { parseConfig } from './config.parser.js';

/** `server:` — the Host names and browser origins the daemon's HTTP API answers besides loopback and its own. */
describe('server section', () => {
  it('defaults to no extra hosts or origins', () => {
    expect(parseConfig('', 'test.yaml', {}).server).toEqual({ allowedHosts: [], allowedOrigins: [] });
  });

  it('reads host names (with or without a port), addresses, origins and *', () => {
    const config = parseConfig(
      'server:\n  allowedHosts: [beacon.internal, "beacon.internal:8443", "10.0.0.5", "[fd00::5]:8787", "*"]\n' +
        '  allowedOrigins: ["https://ops.example", "http://10.0.0.5:3000", "*"]\n',
      'test.yaml',
      {},
    );
    expect(config.server).toEqual({
      allowedHosts: ['beacon.internal', 'beacon.internal:8443', '10.0.0.5', '[fd00::5]:8787', '*'],
      allowedOrigins: ['https://ops.example', 'http://10.0.0.5:3000', '*'],
    });
  });

  it('names each bad entry: a URL where a host belongs, an origin with a path, an unknown key', () => {
    let problems: { path: string; message: string }[] = [];
    try {
      parseConfig(
        'server:\n  allowedHosts: ["http://beacon.internal", "a b"]\n  allowedOrigins: ["https://ops.example/app", "ops.example"]\n  trustProxy: true\n',
        'test.yaml',
        {},
      );
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'server.allowedHosts[0]',
        'server.allowedHosts[1]',
        'server.allowedOrigins[0]',
        'server.allowedOrigins[1]',
        'server.trustProxy',
      ]),
    );
    expect(problems.find((p) => p.path === 'server.allowedHosts[0]')!.message).toMatch(/host name/);
    expect(problems.find((p) => p.path === 'server.allowedOrigins[0]')!.message).toMatch(/without a path/);
  });
});
