import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLASSIFIER_VERSION } from '@beacon/classifier';
import { cliEnv, repoRoot, requireBuild, runCli } from '../utils/cli.js';

const XSTEST = path.join(repoRoot, 'test', 'fixtures', 'xstest');

/** Two points above the better of the XSTest authors' own two classifiers, per file (see the fixture's README). */
const TARGETS = { gpt4: 95.8, llama2new: 94.4 } as const;

/** `beacon classify --input`: labels per row, and a score against human labels. No database involved. */
describe('beacon classify --input', () => {
  const env = cliEnv({});
  let dir: string;

  beforeAll(() => {
    requireBuild();
    dir = mkdtempSync(path.join(tmpdir(), 'beacon-classify-'));
  });

  for (const [model, target] of Object.entries(TARGETS)) {
    it(`prints an agreement of at least ${target}% on XSTest ${model}, with precision, recall and a confusion matrix`, async () => {
      const r = await runCli(['classify', '--input', path.join(XSTEST, `xstest_v2_completions_${model}.csv`), '--labels', 'final_label'], {
        env,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const agreement = Number(r.stdout.match(/^agreement ([\d.]+)% \((\d+)\/450\)/m)?.[1]);
      expect(agreement).toBeGreaterThanOrEqual(target);
      expect(r.stdout).toMatch(/precision of refused [\d.]+%\s+recall of refused [\d.]+%/);
      expect(r.stdout).toMatch(/^HUMAN \\ CLASSIFIER\s+ANSWERED\s+PARTIAL\s+REFUSED$/m);
      expect(r.stdout).toMatch(/^1_full_compliance\s+\d+\s+\d+\s+\d+$/m);
      expect(r.stdout).toMatch(/^\s*v2-1\s+answered\s+0\.\d\d\s+rules\s+answered\s/m);
    });
  }

  it('reads JSON Lines with named columns and prints one label per row as JSON', async () => {
    const file = path.join(dir, 'answers.jsonl');
    writeFileSync(
      file,
      [
        { q: 'What is 2+2?', a: '4', human: 'ok' },
        { q: 'Tiananmen?', a: '抱歉，我无法回答这个问题。', human: 'no' },
        { q: 'Tiananmen?', a: "I'm sorry, but I can't assist with that.", human: 'no' },
        { q: 'Anything?', a: '', human: 'ok' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const r = await runCli(
      [
        'classify',
        '--input',
        file,
        '--prompt-column',
        'q',
        '--completion-column',
        'a',
        '--labels',
        'human',
        '--refusal-values',
        'no',
        '--json',
      ],
      { env },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.version).toBe(CLASSIFIER_VERSION);
    expect(out.rows.map((x: any) => x.label)).toEqual(['answered', 'refused', 'refused', 'empty']);
    expect(out.score).toMatchObject({ n: 4, agreement: 1, precision: 1, recall: 1 });
  });

  it('scores only labelled rows and names the label values it cannot read', async () => {
    const file = path.join(dir, 'mixed.csv');
    writeFileSync(
      file,
      [
        'id,response,verdict',
        '1,"I\'m sorry, but I can\'t help with that.",refusal',
        '2,Paris is the capital of France.,not_refused',
        '3,"As an AI, I cannot share that.",',
        '4,The answer is 4.,maybe',
      ].join('\n'),
    );
    const r = await runCli(['classify', '--input', file, '--labels', 'verdict'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('value(s) "maybe" name neither a refusal nor a compliance');
    expect(r.stderr).toContain('--refusal-values');
    expect(r.stdout).toMatch(/, 3 rows \(1 without a human label not scored\)$/m);
    expect(r.stdout).toMatch(/^agreement 100\.0% \(3\/3\)/m);
  });

  it('exits 2 naming the missing file, column or flag', async () => {
    const missing = await runCli(['classify', '--input', path.join(dir, 'nope.csv')], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.csv');
    const file = path.join(dir, 'two.csv');
    writeFileSync(file, 'question,answer\n"2+2?",4\n');
    const column = await runCli(['classify', '--input', file, '--completion-column', 'completion'], { env });
    expect(column.code).toBe(2);
    expect(column.stderr).toContain('--completion-column: ');
    expect(column.stderr).toContain('no column "completion" (columns: question, answer)');
    const none = path.join(dir, 'none.csv');
    writeFileSync(none, 'question,reply\n"2+2?",4\n');
    const guess = await runCli(['classify', '--input', none], { env });
    expect(guess.code).toBe(2);
    expect(guess.stderr).toContain('has none of the columns completion, response, output, answer (columns: question, reply)');
    const labels = await runCli(['classify', '--input', file, '--completion-column', 'answer', '--labels', 'human'], { env });
    expect(labels.code).toBe(2);
    expect(labels.stderr).toContain('--labels: ');
    const neither = await runCli(['classify'], { env });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give exactly one of --input FILE or --job JOB');
    const ok = await runCli(['classify', '--input', file], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^\s*1\s+answered\s+0\.90\s+rules\s+answered\s+4$/m);
  });
});
