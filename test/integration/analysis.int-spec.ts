import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { JobAnalysis } from '@beacon/analysis';
import { defaultConfig } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { createRunnerApp } from '@beacon/runner';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, postJob, type TestDatabase } from '../utils/runner-harness.js';

const demoSpec = JSON.parse(await readFile(new URL('../../examples/bias-detection-8x3x3.json', import.meta.url), 'utf8'));
const withId = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ ...demoSpec, id, ...extra });
const TERMINAL = new Set(['completed', 'partially_completed', 'failed', 'cancelled']);

/** The demo job (and variants) run for real: daemon with workers, the simulator over HTTP, a real database. */
describe('job analysis: GET /api/v1/jobs/:id/analysis, beacon report, beacon compare', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let app: INestApplication;
  let baseUrl: string;
  let tmp: string;

  const get = async (p: string) => {
    const res = await fetch(baseUrl + p);
    return { status: res.status, body: (await res.json()) as any };
  };
  const waitFor = async (id: string) => {
    for (;;) {
      const { body } = await get(`/api/v1/jobs/${id}`);
      if (TERMINAL.has(body.status)) return body;
      await new Promise((r) => setTimeout(r, 50)); // poll interval, not a wait for an outcome
    }
  };
  const cli = (args: string[]) => runCli(args, { env: cliEnv({ BEACON_API_URL: baseUrl }) });

  beforeAll(async () => {
    requireBuild();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'beacon-analysis-'));
    db = await migratedDatabase('analysis');
    sim = await startSimulator({ port: 0, seed: 42, latencyScale: 0.02 });
    const config = defaultConfig();
    for (const r of Object.values(config.regions)) r.baseUrl = sim.baseUrlFor(r.id);
    app = await createRunnerApp({
      dataSource: db.ds,
      config,
      logger: false,
      engine: engineOptions({ runnerId: 'analysis-test', config, leaseMs: 10_000, pollMs: 50, rollupMs: 100 }),
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    for (const [id, extra] of [
      ['run-a', {}],
      ['run-b', {}],
      ['run-r', { repeats: 3 }],
    ] as const) {
      expect((await postJob(baseUrl, withId(id, extra))).status).toBe(201);
    }
    for (const id of ['run-a', 'run-b', 'run-r']) expect((await waitFor(id)).status).toBe('completed');
  });
  afterAll(async () => {
    await app?.close();
    await sim?.close();
    await db?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the demo job reconciles clean: beacon reconcile exits 0, per job and over the whole database', async () => {
    const env = cliEnv({ DATABASE_URL: db.url });
    const perJob = await runCli(['reconcile', '--job', 'run-a', '--json', '--fail-on', 'info'], { env });
    expect(perJob.code).toBe(0);
    expect(JSON.parse(perJob.stdout)).toMatchObject({ findings: [], failing: 0 });
    const all = await runCli(['reconcile', '--fail-on', 'info'], { env });
    expect(all.code).toBe(0);
  });

  it('shows qwen refusing Tiananmen in asia-pacific and answering in us-east, as the most divergent pair', async () => {
    const { status, body } = await get('/api/v1/jobs/run-a/analysis');
    expect(status).toBe(200);
    const a = body as JobAnalysis;
    expect(a).toMatchObject({
      jobId: 'run-a',
      status: 'completed',
      repeats: 1,
      models: ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'],
      regions: ['us-east', 'eu-west', 'asia-pacific'],
    });
    expect(a.summary).toMatchObject({ cellsExpected: 72, cells: 72, responses: 72, noResponse: 0, pairsCompared: 24 });
    const top = a.pairs[0]!;
    expect([top.questionId, top.modelId]).toEqual(['tiananmen_neutral', 'qwen2.5-1.5b']);
    const majority = Object.fromEntries(top.regions.map((r) => [r.region, r.majority]));
    expect(majority['asia-pacific']).toBe('refused');
    expect(majority['us-east']).toBe('answered');
    expect(top.refusalSpread).toBe(1);
    expect(top.divergence!).toBeGreaterThan(0.8);
    expect(top.band).toBeNull();
    expect(top.regions.find((r) => r.region === 'asia-pacific')!.answers[0]!.text).toMatch(/I'm sorry, but I can't assist with that/);
    // The other models answer everywhere: their Tiananmen answers differ by a sentence, far less than qwen's.
    for (const m of ['llama3.2-1b', 'mistral-7b']) {
      const p = a.pairs.find((x) => x.questionId === 'tiananmen_neutral' && x.modelId === m)!;
      expect(p.refusalSpread).toBe(0);
      expect(p.divergence!).toBeLessThan(0.2);
    }
    // Control questions: the simulator answers them identically everywhere, so the floor is 0 and they rank last.
    expect(a.noiseFloor).toEqual({
      controlQuestions: ['math_basic', 'geography_basic', 'identity_basic'],
      overall: 0,
      byModel: { 'llama3.2-1b': 0, 'qwen2.5-1.5b': 0, 'mistral-7b': 0 },
    });
    const qwenAsia = a.refusalMatrix.find((c) => c.region === 'asia-pacific' && c.modelId === 'qwen2.5-1.5b')!;
    expect(qwenAsia.refusal).toMatchObject({ count: 2, of: 8, rate: 0.25 });
    expect(a.refusalMatrix.find((c) => c.region === 'us-east' && c.modelId === 'qwen2.5-1.5b')!.refusal.rate).toBe(0);
    expect(
      a.refusalByCategory.find((c) => c.category === 'bias_detection' && c.region === 'asia-pacific' && c.modelId === 'qwen2.5-1.5b')!
        .refusal.count,
    ).toBe(2);
    expect(a.dataQuality.filter((n) => n.source === 'cells')).toEqual([]);
  });

  it('gives bands over replicates, and 404 for an unknown job', async () => {
    const r = (await get('/api/v1/jobs/run-r/analysis')).body as JobAnalysis;
    expect(r.repeats).toBe(3);
    expect(r.summary.cells).toBe(216);
    for (const p of r.pairs) {
      expect(p.band!.low).toBeLessThanOrEqual(p.divergence!);
      expect(p.band!.high).toBeGreaterThanOrEqual(p.divergence!);
    }
    expect(r.pairs[0]!.regions.find((x) => x.region === 'asia-pacific')!.counts).toMatchObject({ responses: 3, refused: 3 });
    const missing = await get('/api/v1/jobs/no-such-job/analysis');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/no-such-job/);
  });

  it('beacon report renders md, json, csv and html, and names the flag when it is wrong', async () => {
    const md = await cli(['report', 'run-a']);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# Cross-region report: run-a/);
    expect(md.stdout).toMatch(/### 1\. tiananmen\\_neutral × qwen2\.5-1\.5b: divergence 0\.\d{3}, above the noise floor/);
    expect(md.stdout).toContain('answered in us-east; partial in eu-west; refused in asia-pacific');

    const json = await cli(['report', 'run-a', '--format', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).pairs[0]).toMatchObject({ questionId: 'tiananmen_neutral', modelId: 'qwen2.5-1.5b' });

    const csv = await cli(['report', 'run-a', '--format', 'csv']);
    expect(csv.stdout.trimEnd().split('\r\n')).toHaveLength(1 + 72);
    expect(csv.stdout).toMatch(/\r\nrun-a,tiananmen_neutral,bias_detection,qwen2\.5-1\.5b,asia-pacific,1,0,0,1,0,0,0,1,/);

    const out = path.join(tmp, 'nested', 'report.html');
    const html = await cli(['report', 'run-a', '--format', 'html', '--out', out]);
    expect(html.code).toBe(0);
    expect(html.stdout).toBe('');
    expect(html.stderr).toContain(out);
    expect(await readFile(out, 'utf8')).toMatch(/<svg id="refusal-heatmap"/);

    const bad = await cli(['report', 'run-a', '--format', 'pdf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be one of md, json, csv, html/);
    expect((await cli(['report', 'run-a', '--top', '-1'])).code).toBe(2);
    const unknown = await cli(['report', 'no-such-job']);
    expect(unknown.code).toBe(4);
  });

  it('beacon compare exits 0 for identical runs and 1 listing the cells that changed label', async () => {
    const same = await cli(['compare', 'run-a', 'run-b']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^0 of 72 cells changed label; 0 kept their label with different text\n$/);

    await db.ds.query(`UPDATE executions SET classification = 'answered' WHERE job_id = 'run-b' AND question_id = 'tiananmen_neutral'
                         AND model_id = 'qwen2.5-1.5b' AND region = 'asia-pacific'`);
    const changed = await cli(['compare', 'run-a', 'run-b', '--json']);
    expect(changed.code).toBe(1);
    const r = JSON.parse(changed.stdout);
    expect(r.compared).toBe(72);
    expect(r.changed).toEqual([
      expect.objectContaining({
        questionId: 'tiananmen_neutral',
        modelId: 'qwen2.5-1.5b',
        region: 'asia-pacific',
        replicate: 0,
        a: expect.objectContaining({ outcome: 'refused' }),
        b: expect.objectContaining({ outcome: 'answered' }),
        responseSimilarity: 1,
      }),
    ]);
    expect(changed.stderr).toMatch(/1 of 72 cells changed label/);
    const table = await cli(['compare', 'run-a', 'run-b']);
    expect(table.stdout).toMatch(/^QUESTION\s+MODEL\s+REGION\s+REP\s+run-a\s+run-b\s+EXECUTIONS\n/);
    expect(table.stdout).toMatch(/tiananmen_neutral\s+qwen2\.5-1\.5b\s+asia-pacific\s+0\s+refused\s+answered/);

    const replicated = await cli(['compare', 'run-a', 'run-r']);
    expect(replicated.code).toBe(0);
    expect(replicated.stderr).toMatch(/warning: the specs differ in repeats: 1 vs 3/);
    expect(replicated.stdout).toMatch(/not compared: 144 only in run-r/);

    expect((await cli(['compare', 'run-a', 'no-such-job'])).code).toBe(4);
  });
});
