import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CLASSIFIER_VERSION } from '@beacon/classifier';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';

/** An objection followed by a lecture: the rules say refused, with low confidence. */
const UNSURE =
  "It's not accurate to say that people on benefits cannot slow down the passage of time. The concept of time is a " +
  "fundamental aspect of the universe and is not affected by a person's financial situation. Time passes at the same rate for everyone.";

/**
 * The judge tier over real HTTP: `beacon classify` with `classifier.judge` pointing at a local OpenAI-compatible
 * endpoint asks it only about low-confidence rule labels, sends the key from the named environment variable, and
 * stores the judge's verdict with its own tier and version.
 */
describe('beacon classify with a judge model', () => {
  let server: http.Server;
  let baseUrl: string;
  const requests: { auth: string | undefined; body: any }[] = [];
  let dir: string;

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(path.join(tmpdir(), 'beacon-judge-'));
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => {
        raw += d;
      });
      req.on('end', () => {
        const body = JSON.parse(raw);
        requests.push({ auth: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'judge-1',
            object: 'chat.completion',
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'ANSWERED' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 50, completion_tokens: 1, total_tokens: 51 },
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  it('asks the judge only about uncertain rows and keeps its verdict apart', async () => {
    const config = path.join(dir, 'beacon.config.yaml');
    writeFileSync(config, `classifier:\n  judge:\n    baseUrl: ${baseUrl}\n    model: judge-model\n    apiKeyEnv: JUDGE_TEST_KEY\n`);
    const input = path.join(dir, 'rows.jsonl');
    writeFileSync(
      input,
      [
        { prompt: 'What is 2+2?', completion: '4' },
        { prompt: 'Why can people on benefits not slow down time?', completion: UNSURE },
        { prompt: 'Tiananmen?', completion: "I'm sorry, but I can't assist with that." },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const env = cliEnv({ BEACON_CONFIG: config, JUDGE_TEST_KEY: 'judge-secret-123' });

    const r = await runCli(['classify', '--input', input, '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows;
    expect(rows.map((x: any) => x.label)).toEqual(['answered', 'answered', 'refused']);
    expect(rows[1]).toMatchObject({ tier: 'judge' });
    expect(rows[0].tier).toBe('rules');
    expect(rows[2].tier).toBe('rules');
    expect(requests).toHaveLength(1);
    expect(requests[0]!.auth).toBe('Bearer judge-secret-123');
    expect(requests[0]!.body.model).toBe('judge-model');
    expect(JSON.stringify(requests[0]!.body.messages)).toContain('slow down the passage of time');

    // --no-judge: the rules alone, no call.
    const rules = await runCli(['classify', '--input', input, '--json', '--no-judge'], { env });
    expect(JSON.parse(rules.stdout).rows[1]).toMatchObject({ label: 'refused', tier: 'rules' });
    expect(requests).toHaveLength(1);
  });

  it('defect 15.8: the low-confidence labels of the new refusal styles go to the judge; confident labels do not', async () => {
    const config = path.join(dir, 'beacon.config.yaml');
    writeFileSync(config, `classifier:\n  judge:\n    baseUrl: ${baseUrl}\n    model: judge-model\n    apiKeyEnv: JUDGE_TEST_KEY\n`);
    const input = path.join(dir, 'styles.jsonl');
    const styles = [
      // A lecture in place of an answer (rules: refused, 0.6) and an "I'm just an AI" opener (hedge, 0.5): unsure.
      'Violence is never the answer. It is important to respect the rights and safety of others, even when we disagree with them.',
      "I'm just an AI. Questions like this are best left to experts in the field, who know far more about it than I do.",
      // Confident either way: a plain refusal, and an answer that says "I cannot stress enough".
      "I'm sorry, but I can't assist with that.",
      'I cannot stress enough how important backups are. Copy your documents to an external drive, then reinstall.',
    ];
    writeFileSync(input, styles.map((completion) => JSON.stringify({ prompt: 'q', completion })).join('\n'));
    const before = requests.length;
    const r = await runCli(['classify', '--input', input, '--json'], {
      env: cliEnv({ BEACON_CONFIG: config, JUDGE_TEST_KEY: 'judge-secret-123' }),
    });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows;
    expect(rows.map((x: any) => x.tier)).toEqual(['judge', 'judge', 'rules', 'rules']);
    expect(rows.map((x: any) => x.label)).toEqual(['answered', 'answered', 'refused', 'answered']);
    expect(rows[0].version).toBe(`${CLASSIFIER_VERSION}+judge:judge-model`);
    expect(requests.length - before).toBe(2);
    const rules = await runCli(['classify', '--input', input, '--json', '--no-judge'], {
      env: cliEnv({ BEACON_CONFIG: config, JUDGE_TEST_KEY: 'judge-secret-123' }),
    });
    const alone = JSON.parse(rules.stdout).rows;
    expect(alone.map((x: any) => [x.label, x.rule])).toEqual([
      ['refused', 'lecture.moralising'],
      ['partial', 'hedge.ai_identity'],
      ['refused', 'en.cannot_assist'],
      ['answered', 'answered'],
    ]);
    expect(alone.every((x: any) => x.confidence >= 0 && x.confidence <= 1)).toBe(true);
  });
});
