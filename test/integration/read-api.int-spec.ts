import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { postJob, startTestRunner, type TestRunner } from '../utils/runner-harness.js';

const matrix = readFileSync(new URL('../fixtures/jobs/bias-detection-8x3x3.json', import.meta.url), 'utf8');
const get = async (runner: TestRunner, path: string) => {
  const res = await fetch(runner.baseUrl + path);
  return { status: res.status, body: (await res.json()) as any };
};

describe('read API', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner();
    for (const id of ['read-a', 'read-b', 'read-c']) {
      expect((await postJob(runner.baseUrl, matrix.replace('bias-detection-1759245498941', id))).status).toBe(201);
    }
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('lists jobs newest first and pages with a cursor', async () => {
    const first = await get(runner, '/api/v1/jobs?limit=2');
    expect(first.body.items.map((j: { id: string }) => j.id)).toEqual(['read-c', 'read-b']);
    expect(first.body.items[0].cells).toEqual({ expected: 72, actual: 72, byState: { pending: 72 } });
    const second = await get(runner, `/api/v1/jobs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((j: { id: string }) => j.id)).toEqual(['read-a']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('pages executions of a job in a stable order with no gaps or repeats', async () => {
    const ids: string[] = [];
    let cursor = '';
    do {
      const page = await get(runner, `/api/v1/executions?job=read-b&limit=25${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor ?? '';
    } while (cursor);
    expect(ids).toHaveLength(72);
    expect(new Set(ids).size).toBe(72);
    expect([...ids].sort((a, b) => Number(a) - Number(b))).toEqual(ids);
  });

  it('filters executions by region, model, question and state', async () => {
    const page = await get(runner, '/api/v1/executions?job=read-a&region=eu-west&model=qwen2.5-1.5b&state=pending');
    expect(page.body.items).toHaveLength(8);
    for (const e of page.body.items)
      expect(e).toMatchObject({ region: 'eu-west', modelId: 'qwen2.5-1.5b', state: 'pending', jobId: 'read-a' });
    const one = await get(runner, '/api/v1/executions?job=read-a&question=taiwan_status&model=mistral-7b');
    expect(one.body.items.map((e: { region: string }) => e.region).sort()).toEqual(['asia-pacific', 'eu-west', 'us-east']);
  });

  it('lists the cells that never ran: no attempt at all, whatever their state (neverRun=true)', async () => {
    // Of read-c: three cells get an attempt (one still calling, two ended), four end without one (cancelled, failed).
    const cells: { id: string }[] = await runner.ds.query(
      `SELECT id::text AS id FROM executions WHERE job_id = 'read-c' ORDER BY id LIMIT 7`,
    );
    const [called, unrun] = [cells.slice(0, 3).map((c) => c.id), cells.slice(3).map((c) => c.id)];
    await runner.ds.query(
      `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, ended_at, outcome, system_prompt,
                                       user_prompt, parameters, prompt_hash, parameters_hash, trace_id)
       SELECT e.id, e.job_id, 1, 'r', gen_random_uuid(), CASE WHEN n > 1 THEN now() END, CASE WHEN n > 1 THEN 'final_error' END,
              's', 'u', '{}', 'h', 'h', e.trace_id
         FROM unnest($1::bigint[]) WITH ORDINALITY AS c(id, n) JOIN executions e ON e.id = c.id`,
      [called],
    );
    await runner.ds.query(`UPDATE executions SET state = 'cancelled', finished_at = now() WHERE id = ANY($1::bigint[])`, [
      unrun.slice(0, 2),
    ]);
    await runner.ds.query(`UPDATE executions SET state = 'failed', finished_at = now() WHERE id = ANY($1::bigint[])`, [unrun.slice(2)]);
    const ids: string[] = [];
    let cursor = '';
    do {
      const page = await get(runner, `/api/v1/executions?job=read-c&neverRun=true&limit=20${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor ?? '';
    } while (cursor);
    // Independently: every cell of the job without an attempt row.
    const expected: { id: string }[] = await runner.ds.query(
      `SELECT id::text AS id FROM executions e WHERE job_id = 'read-c'
          AND NOT EXISTS (SELECT 1 FROM execution_attempts a WHERE a.execution_id = e.id) ORDER BY e.id`,
    );
    expect(ids).toEqual(expected.map((e) => e.id));
    expect(ids).toHaveLength(72 - 3);
    for (const id of called) expect(ids).not.toContain(id);
    const cancelled = await get(runner, '/api/v1/executions?job=read-c&neverRun=true&state=cancelled');
    expect(cancelled.body.items.map((e: { id: string }) => e.id)).toEqual(unrun.slice(0, 2));
    // neverRun=false narrows nothing; any other value is refused, naming the parameter.
    expect((await get(runner, '/api/v1/executions?job=read-c&neverRun=false&limit=1000')).body.items).toHaveLength(72);
    const bad = await get(runner, '/api/v1/executions?job=read-c&neverRun=yes');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('neverRun');
  });

  it('returns one execution with its (empty) attempt log and a 32-hex trace id', async () => {
    const page = await get(runner, '/api/v1/executions?job=read-a&limit=1');
    const detail = await get(runner, `/api/v1/executions/${page.body.items[0].id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.attemptsLog).toEqual([]);
    expect(detail.body.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers 404 and 400 with a message naming what was wrong', async () => {
    expect(await get(runner, '/api/v1/jobs/nope')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await get(runner, '/api/v1/executions/999999999')).toMatchObject({ status: 404 });
    expect(await get(runner, '/api/v1/executions?job=nope')).toMatchObject({ status: 404 });
    const badState = await get(runner, '/api/v1/executions?job=read-a&state=done');
    expect(badState.status).toBe(400);
    expect(badState.body.problems[0].path).toBe('state');
    expect((await get(runner, '/api/v1/jobs?limit=0')).body.problems[0].path).toBe('limit');
    expect((await get(runner, '/api/v1/executions/abc')).status).toBe(400);
  });

  it('reports live and ready (database reachable, migrations current)', async () => {
    expect(await get(runner, '/health/live')).toEqual({ status: 200, body: { status: 'alive' } });
    expect(await get(runner, '/health/ready')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok' } },
    });
  });
});
