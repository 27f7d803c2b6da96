import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliEnv, requireBuild, runCli, startDaemon, type Daemon } from '../utils/cli.js';
import { throwawayDatabase } from '../utils/test-database.js';

/** The planned cells of a job as `question/model/region`, sorted. */
async function cellsOf(env: NodeJS.ProcessEnv, jobId: string): Promise<string[]> {
  const r = await runCli(['executions', '--job', jobId, '--json'], { env });
  expect(r.code).toBe(0);
  const cells = (JSON.parse(r.stdout) as { items: { questionId: string; modelId: string; region: string }[] }).items;
  return cells.map((c) => `${c.questionId}/${c.modelId}/${c.region}`).sort();
}

describe('beacon submit --questions (CSV, JSON Lines)', () => {
  let db: { url: string; drop(): Promise<void> };
  let daemon: Daemon;
  let env: NodeJS.ProcessEnv;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'beacon-questions-cli-'));
  const spec = (id: string) => {
    const file = path.join(tmp, `${id}.json`);
    writeFileSync(file, JSON.stringify({ id, models: ['llama3.2-1b', 'mistral-7b'], regions: ['us-east', 'EU'] }));
    return file;
  };
  const expectedCells = (ids: string[]) =>
    ids.flatMap((q) => ['llama3.2-1b', 'mistral-7b'].flatMap((m) => ['us-east', 'eu-west'].map((r) => `${q}/${m}/${r}`))).sort();

  beforeAll(async () => {
    requireBuild();
    db = await throwawayDatabase('questions_cli');
    daemon = await startDaemon({ env: cliEnv({ DATABASE_URL: db.url }) });
    env = cliEnv({ BEACON_API_URL: daemon.url });
  });
  afterAll(async () => {
    await daemon?.stop();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('submits a job from a CSV file: one cell per question, model and region, languages kept on the questions', async () => {
    const csv = path.join(tmp, 'questions.csv');
    writeFileSync(
      csv,
      '\ufeffid,text,category,language\r\n' +
        'csv-1,"Who governs Taiwan, and since when?",politics,en\r\n' +
        'csv-2,"A question over\r\ntwo lines, with ""quotes""",,zh-Hans\r\n' +
        '\r\n' +
        'csv-3,Plain?,,\r\n',
    );
    const r = await runCli(['submit', spec('from-csv'), '--questions', csv, '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'from-csv', cells: 12, created: true });
    expect(await cellsOf(env, 'from-csv')).toEqual(expectedCells(['csv-1', 'csv-2', 'csv-3']));
    const job = await fetch(`${daemon.url}/api/v1/jobs/from-csv`).then((res) => res.json() as Promise<{ spec: { questions: unknown[] } }>);
    expect(job.spec.questions).toEqual([
      { id: 'csv-1', text: 'Who governs Taiwan, and since when?', category: 'politics', language: 'en', source: 'inline' },
      { id: 'csv-2', text: 'A question over\ntwo lines, with "quotes"', category: null, language: 'zh-Hans', source: 'inline' },
      { id: 'csv-3', text: 'Plain?', category: null, source: 'inline' },
    ]);
  });

  it('submits a job from a JSON Lines file', async () => {
    const jsonl = path.join(tmp, 'questions.jsonl');
    writeFileSync(jsonl, '{"id":"jl-1","text":"One?","language":"pt-BR"}\n\n{"id":"jl-2","text":"Two?","category":"c"}\n');
    const r = await runCli(['submit', spec('from-jsonl'), '--questions', jsonl], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/submitted job from-jsonl: 8 cells/);
    expect(await cellsOf(env, 'from-jsonl')).toEqual(expectedCells(['jl-1', 'jl-2']));
  });

  it('refuses a bad file with every problem by row and column, and submits nothing', async () => {
    const csv = path.join(tmp, 'bad.csv');
    writeFileSync(csv, 'id,text,language\nok-1,Fine?,en\nok-2,,en\nok-1,Again?,english\n');
    const r = await runCli(['submit', spec('from-bad'), '--questions', csv], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${csv}: row 3, column text: must not be empty`);
    expect(r.stderr).toContain(`${csv}: row 4, column language: must be a BCP-47 language tag such as en or zh-Hans, not "english"`);
    expect(r.stderr).toContain(`${csv}: row 4, column id: duplicate id "ok-1" (also at row 2)`);
    expect((await runCli(['job', 'from-bad'], { env })).code).toBe(4);
  });

  it('reads an odd extension with --questions-format, and refuses a spec that already lists questions', async () => {
    const txt = path.join(tmp, 'questions.txt');
    writeFileSync(txt, 'id,text\ntxt-1,One?\n');
    expect((await runCli(['submit', spec('from-txt'), '--questions', txt], { env })).stderr).toMatch(/give --questions-format/);
    const r = await runCli(['submit', spec('from-txt'), '--questions', txt, '--questions-format', 'csv'], { env });
    expect(r.stdout).toMatch(/submitted job from-txt: 4 cells/);
    const listed = path.join(tmp, 'listed.json');
    writeFileSync(listed, JSON.stringify({ questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] }));
    const both = await runCli(['submit', listed, '--questions', txt, '--questions-format', 'csv'], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/already lists questions: give them there or with --questions, not both/);
  });
});
