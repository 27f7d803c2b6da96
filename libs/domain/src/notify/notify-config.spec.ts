import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../problems/config.error.js';
import { parseConfig } from '../config/config.parser.js';
import { configuredSecrets } from '../secrets/secrets.js';
import { DRIFT_RULES, resolveSinks, routeAccepts } from './notify-config.js';

function problemsOf(yaml: string): { path: string; message: string }[] {
  try {
    parseConfig(yaml, 'test.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const SLACK_URL = 'https://hooks.slack.example/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

describe('notifications section', () => {
  it('defaults to no sinks, and fills a sink in with the drift rules, info, 10 s and 8 attempts', () => {
    expect(parseConfig('', 'test.yaml', {}).notifications).toEqual({ sinks: [] });
    const config = parseConfig(
      'notifications:\n  sinks:\n    - { id: ops, kind: webhook, url: "https://hooks.example/beacon", secretEnv: HOOK_KEY }\n' +
        '    - { id: chat, kind: slack, urlEnv: SLACK_URL, rules: [stuck_running, label_flip], minSeverity: warning, timeoutMs: 2000, maxAttempts: 3 }\n',
      'test.yaml',
      {},
    );
    expect(config.notifications!.sinks).toEqual([
      {
        id: 'ops',
        kind: 'webhook',
        url: 'https://hooks.example/beacon',
        urlEnv: null,
        secretEnv: 'HOOK_KEY',
        rules: [...DRIFT_RULES],
        minSeverity: 'info',
        timeoutMs: 10_000,
        maxAttempts: 8,
      },
      {
        id: 'chat',
        kind: 'slack',
        url: null,
        urlEnv: 'SLACK_URL',
        secretEnv: null,
        rules: ['stuck_running', 'label_flip'],
        minSeverity: 'warning',
        timeoutMs: 2000,
        maxAttempts: 3,
      },
    ]);
  });

  it('names the field of every bad sink, each on its own', () => {
    const problems = problemsOf(
      'notifications:\n  sinks:\n' +
        '    - { id: a, kind: webhook, url: "https://x.example/h" }\n' + // no secretEnv
        '    - { id: b, kind: slack, url: "https://x.example/h", urlEnv: U }\n' + // both
        '    - { id: c, kind: email, url: "https://x.example/h" }\n' +
        '    - { id: "Bad Id", kind: slack, urlEnv: U }\n' +
        '    - { id: d, kind: slack, urlEnv: "not a var", secret: x }\n' +
        '    - { id: a, kind: slack, urlEnv: U, minSeverity: loud, maxAttempts: 0, rules: [] }\n' +
        '    - { id: e, kind: slack, urlEnv: U, secretEnv: K }\n' +
        '    - 42\n',
    );
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'notifications.sinks[0].secretEnv',
        'notifications.sinks[1].url',
        'notifications.sinks[2].kind',
        'notifications.sinks[3].id',
        'notifications.sinks[4].urlEnv',
        'notifications.sinks[4].secret',
        'notifications.sinks[5].minSeverity',
        'notifications.sinks[5].maxAttempts',
        'notifications.sinks[5].rules',
        'notifications.sinks[6].secretEnv',
        'notifications.sinks[7]',
      ]),
    );
    expect(problems.find((p) => p.path === 'notifications.sinks[1].url')!.message).toMatch(/either url or urlEnv/);
    expect(
      problemsOf('notifications:\n  sinks:\n    - { id: a, kind: slack, urlEnv: U }\n    - { id: a, kind: slack, urlEnv: V }\n'),
    ).toEqual([{ path: 'notifications.sinks[1].id', message: 'duplicate sink id "a" (also at notifications.sinks[0])' }]);
  });

  it('reads URL and key from the environment, naming the variable that is missing', () => {
    const config = parseConfig(
      'notifications:\n  sinks:\n    - { id: ops, kind: webhook, urlEnv: HOOK_URL, secretEnv: HOOK_KEY }\n    - { id: chat, kind: slack, urlEnv: SLACK_URL }\n',
      'test.yaml',
      {},
    );
    expect(resolveSinks(config, {}).problems.map((p) => p.path)).toEqual([
      'notifications.sinks[0].urlEnv',
      'notifications.sinks[0].secretEnv',
      'notifications.sinks[1].urlEnv',
    ]);
    expect(resolveSinks(config, { HOOK_URL: 'ftp://x', HOOK_KEY: 'short', SLACK_URL }).problems.map((p) => p.message)).toEqual([
      'environment variable HOOK_URL does not hold an http(s) URL',
      'the key in HOOK_KEY is shorter than 16 characters',
    ]);
    const ok = resolveSinks(config, { HOOK_URL: 'http://127.0.0.1:9/hook', HOOK_KEY: 'k'.repeat(32), SLACK_URL });
    expect(ok.problems).toEqual([]);
    expect(ok.sinks.map((s) => [s.id, s.host, s.secret])).toEqual([
      ['ops', '127.0.0.1:9', 'k'.repeat(32)],
      ['chat', 'hooks.slack.example', null],
    ]);
  });

  it('registers every sink key and secret URL (whole and its path) with the redactor, not public URLs', () => {
    const config = parseConfig(
      'notifications:\n  sinks:\n    - { id: ops, kind: webhook, url: "https://hooks.example/public-path", secretEnv: HOOK_SIGNING }\n' +
        `    - { id: chat, kind: slack, urlEnv: CHAT_HOOK }\n    - { id: inline, kind: slack, url: "${SLACK_URL}/2" }\n`,
      'test.yaml',
      {},
    );
    const { values } = configuredSecrets(config, { HOOK_SIGNING: 'whsec-abcdefgh', CHAT_HOOK: SLACK_URL });
    expect(values).toEqual(
      expect.arrayContaining(['whsec-abcdefgh', SLACK_URL, '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX', `${SLACK_URL}/2`]),
    );
    expect(values).not.toContain('https://hooks.example/public-path');
  });

  it('routes a finding by rule and minimum severity', () => {
    const route = { rules: ['label_flip'], minSeverity: 'warning' as const };
    expect(routeAccepts(route, 'label_flip', 'info')).toBe(false);
    expect(routeAccepts(route, 'label_flip', 'warning')).toBe(true);
    expect(routeAccepts(route, 'label_flip', 'critical')).toBe(true);
    expect(routeAccepts(route, 'refusal_shift', 'critical')).toBe(false);
  });
});
