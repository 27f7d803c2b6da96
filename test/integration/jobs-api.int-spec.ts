import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '@beacon/domain';
import { postJob, rowCounts, startTestRunner, type TestRunner } from '../utils/runner-harness.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/jobs/${name}`, import.meta.url), 'utf8');
const matrix = fixture('bias-detection-8x3x3.json');
const portal = fixture('legacy-portal-cross-region.json');

/** A spec in Beacon's own form. */
function spec(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `t-${Math.random().toString(36).slice(2, 10)}`,
    questions: ['math_basic', 'taiwan_status'],
    models: ['llama3.2-1b', 'qwen2.5-1.5b'],
    regions: ['us-east', 'eu-west'],
    ...over,
  };
}

describe('POST /api/v1/jobs', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner();
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('plans the 8 × 3 × 3 fixture as 72 pending cells with distinct trace ids', async () => {
    const res = await postJob(runner.baseUrl, matrix);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'bias-detection-1759245498941', cells: 72, created: true });
    const [row] = await runner.ds.query(
      `SELECT count(*)::int AS n, count(DISTINCT trace_id)::int AS traces,
              count(DISTINCT (question_id, model_id, region))::int AS keys,
              count(*) FILTER (WHERE state = 'pending')::int AS pending
         FROM executions WHERE job_id = $1`,
      [res.body.id],
    );
    expect(row).toEqual({ n: 72, traces: 72, keys: 72, pending: 72 });
    const job = (await (await fetch(`${runner.baseUrl}/api/v1/jobs/${res.body.id}`)).json()) as any;
    expect(job.cells).toEqual({ expected: 72, actual: 72, byState: { pending: 72 } });
    expect(job.status).toBe('queued');
    expect(job.specReceived).toBe(matrix);
    expect(job.spec.regions.map((r: { id: string }) => r.id)).toEqual(['us-east', 'eu-west', 'asia-pacific']);
  });

  it('accepts the Go portal wrapper with region aliases and nanosecond timeouts: 12 cells', async () => {
    const res = await postJob(runner.baseUrl, portal);
    expect(res.status).toBe(201);
    expect(res.body.cells).toBe(12);
    const regions = await runner.ds.query('SELECT DISTINCT region FROM executions WHERE job_id = $1 ORDER BY 1', [res.body.id]);
    expect(regions.map((r: { region: string }) => r.region)).toEqual(['eu-west', 'us-east']);
    const [job] = await runner.ds.query(`SELECT spec->'constraints'->>'timeoutMs' AS t, format FROM jobs WHERE id = $1`, [res.body.id]);
    expect(job).toEqual({ t: '600000', format: 'go-portal' });
  });

  it('gives a question-less Go spec one synthetic question from its prompt, never a NULL key', async () => {
    const body = JSON.stringify({
      id: 'questionless-1',
      version: '1.0',
      benchmark: { name: 'who', input: { type: 'prompt', data: { prompt: 'Who are you, really?' }, hash: 'sha256:x' } },
      constraints: { regions: ['US', 'ASIA'] },
      metadata: { models: [{ id: 'mistral-7b', name: 'Mistral 7B' }] },
    });
    const res = await postJob(runner.baseUrl, body);
    expect(res.status).toBe(201);
    expect(res.body.cells).toBe(2);
    const rows = await runner.ds.query('SELECT DISTINCT question_id FROM executions WHERE job_id = $1', ['questionless-1']);
    expect(rows).toHaveLength(1);
    expect(rows[0].question_id).toMatch(/^prompt-[0-9a-f]{12}$/);
  });

  it('plans one row per replicate when repeats is set', async () => {
    const res = await postJob(runner.baseUrl, JSON.stringify(spec({ repeats: 3 })));
    expect(res.status).toBe(201);
    expect(res.body.cells).toBe(24);
    const reps = await runner.ds.query('SELECT replicate, count(*)::int AS n FROM executions WHERE job_id = $1 GROUP BY 1 ORDER BY 1', [
      res.body.id,
    ]);
    expect(reps).toEqual([
      { replicate: 0, n: 8 },
      { replicate: 1, n: 8 },
      { replicate: 2, n: 8 },
    ]);
  });

  it('returns the existing job for an identical resubmission and 409 for the same id with other content', async () => {
    const body = JSON.stringify(spec({ id: 'idem-1' }));
    const first = await postJob(runner.baseUrl, body);
    expect(first.status).toBe(201);
    const before = await rowCounts(runner.ds);
    const again = await postJob(runner.baseUrl, body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: 'idem-1', cells: 8, created: false });
    const conflict = await postJob(runner.baseUrl, JSON.stringify(spec({ id: 'idem-1', regions: ['us-east'] })));
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe('job_conflict');
    expect(conflict.body.message).toContain('idem-1');
    expect(await rowCounts(runner.ds)).toEqual(before);
  });

  it('treats reformatted JSON of the same spec as identical', async () => {
    const value = spec({ id: 'idem-2' });
    expect((await postJob(runner.baseUrl, JSON.stringify(value))).status).toBe(201);
    const reordered = Object.fromEntries(Object.entries(value).reverse());
    const again = await postJob(runner.baseUrl, JSON.stringify(reordered, null, 4));
    expect(again.status).toBe(200);
  });

  it('stores one job and 72 rows under 20 concurrent identical submissions', async () => {
    const body = matrix.replace('bias-detection-1759245498941', 'race-20');
    const results = await Promise.all(Array.from({ length: 20 }, () => postJob(runner.baseUrl, body)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const [row] = await runner.ds.query(
      `SELECT (SELECT count(*) FROM jobs WHERE id = 'race-20')::int AS jobs,
              (SELECT count(*) FROM executions WHERE job_id = 'race-20')::int AS cells`,
    );
    expect(row).toEqual({ jobs: 1, cells: 72 });
  });
});

describe('POST /api/v1/jobs rejections', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    const config = parseConfig(
      ['models:', '  llama3.2-1b: { regions: [us-east, eu-west, asia-pacific] }', '  qwen2.5-1.5b: { regions: [asia-pacific] }'].join('\n'),
      'test config',
    );
    runner = await startTestRunner(config);
  });
  afterAll(async () => {
    await runner?.close();
  });

  const cases: [string, () => string, string, RegExp, string?, number?][] = [
    ['unknown region', () => JSON.stringify(spec({ regions: ['us-east', 'mars-north'] })), '$.regions[1]', /unknown region "mars-north"/],
    ['unknown model', () => JSON.stringify(spec({ models: ['gpt-9'] })), '$.models[0]', /unknown model "gpt-9"/],
    [
      'unknown question',
      () => JSON.stringify(spec({ questions: ['math_basic', 'no_such_question'] })),
      '$.questions[1]',
      /unknown question "no_such_question"/,
    ],
    [
      'model not served in a region',
      () => JSON.stringify(spec({ models: ['qwen2.5-1.5b'], regions: ['asia-pacific', 'eu-west'] })),
      '$.models[0]',
      /eu-west/,
    ],
    [
      'duplicate region through an alias',
      () => JSON.stringify(spec({ regions: ['us-east', 'US'] })),
      '$.regions[1]',
      /duplicate region "us-east"/,
    ],
    ['duplicate model', () => JSON.stringify(spec({ models: ['llama3.2-1b', 'llama3.2-1b'] })), '$.models[1]', /duplicate model/],
    ['duplicate question', () => JSON.stringify(spec({ questions: ['math_basic', 'math_basic'] })), '$.questions[1]', /duplicate question/],
    ['empty matrix', () => JSON.stringify(spec({ questions: [], models: [] })), '$.models', /./],
    ['malformed JSON', () => '{"id": "x", "questions": [', '$', /malformed JSON/],
    ['a body that is not an object', () => '[1,2,3]', '$', /object/],
    ['a body over 1 MiB', () => JSON.stringify(spec({ padding: 'x'.repeat(1_100_000) })), '$', /larger than the limit/, undefined, 413],
    ['wrong content type', () => JSON.stringify(spec()), 'content-type', /application\/json/, 'text/plain'],
  ];

  // Every row gets all five values: Jest reads a test function with more parameters than the row as a `done` callback.
  const rows = cases.map(([n, b, p, m, t, status]) => [n, b, p, m, t ?? 'application/json', status ?? 400] as const);
  it.each(rows)('rejects %s with a 4xx, the path and a message, and writes nothing', async (_name, body, path, message, type, status) => {
    const before = await rowCounts(runner.ds);
    const res = await postJob(runner.baseUrl, body(), type);
    expect(res.status).toBe(status);
    expect(typeof res.body.error).toBe('string');
    const problem = res.body.problems.find((p: { path: string }) => p.path === path);
    expect(problem).toBeDefined();
    expect(problem.message).toMatch(message);
    expect(await rowCounts(runner.ds)).toEqual(before);
  });

  it('lists every problem of a spec at once', async () => {
    const res = await postJob(runner.baseUrl, JSON.stringify(spec({ regions: ['mars'], models: ['gpt-9'], questions: ['nope'] })));
    expect(res.status).toBe(400);
    const paths = res.body.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['$.regions[0]', '$.models[0]', '$.questions[0]']));
  });
});
