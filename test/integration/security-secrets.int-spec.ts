import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultConfig } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { AttemptTracing, createLogger, nestLogger } from '@beacon/observability';
import { createRunnerApp } from '@beacon/runner';
import type { INestApplication } from '@nestjs/common';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/**
 * Provider API keys come only from the environment and must never be written anywhere: the demo job runs against
 * the simulator (which demands a key) with a unique key in one region's variable and a wrong unique key in another's,
 * with debug logs, content tracing and error injection on; then every row of every table, every log line, every
 * engine event, every span and every API answer is searched for both keys.
 */
describe('provider API keys', () => {
  const key = `sk-beacon-${randomUUID()}`;
  const wrongKey = `sk-wrong-${randomUUID()}`;
  // The transparency log's signing key, given as a variable: it signs heads and bundles but is never shown.
  const logKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const logKeyDer = Buffer.from(logKey.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const logKeyForms = [logKeyDer.toString('base64'), logKeyDer.subarray(-32).toString('base64'), logKeyDer.subarray(-32).toString('hex')];
  const written: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      written.push(String(chunk));
      done();
    },
  });
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let db: TestDatabase;
  let sim: RunningSimulator;
  let app: INestApplication;
  let baseUrl: string;
  const answers: string[] = [];

  beforeAll(async () => {
    db = await migratedDatabase('secrets');
    sim = await startSimulator({ port: 0, seed: 11, apiKey: key, latencyScale: 0.01, faults: { errorRate: 0.2 } });
    const config = defaultConfig();
    process.env.BEACON_TEST_LOG_KEY = logKey;
    config.transparency = {
      ...config.transparency!,
      signingKey: { id: 'log-secret', privateKeyFile: null, privateKeyEnv: 'BEACON_TEST_LOG_KEY' },
    };
    const env = { BEACON_TEST_US_KEY: key, BEACON_TEST_ASIA_KEY: key, BEACON_TEST_EU_KEY: wrongKey };
    for (const r of Object.values(config.regions)) {
      r.baseUrl = sim.baseUrlFor(r.id);
      r.apiKeyEnv = r.id === 'eu-west' ? 'BEACON_TEST_EU_KEY' : r.id === 'us-east' ? 'BEACON_TEST_US_KEY' : 'BEACON_TEST_ASIA_KEY';
    }
    const log = createLogger({ destination: sink, level: 'trace', pretty: false });
    app = await createRunnerApp({
      dataSource: db.ds,
      config,
      log,
      logger: nestLogger(log),
      listeners: [(e) => written.push(JSON.stringify(e))],
      engine: engineOptions({
        runnerId: 'secrets-runner',
        config,
        env,
        pollMs: 20,
        leaseMs: 5_000,
        rollupMs: 50,
        random: () => 0,
        retryBudgetMinPerSecond: 1000,
        tracer: new AttemptTracing({ tracer: provider.getTracer('beacon-test'), captureContent: true }),
      }),
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    delete process.env.BEACON_TEST_LOG_KEY;
    await app?.close();
    await sim?.close();
    await db?.close();
  });

  async function get(path: string): Promise<any> {
    const text = await (await fetch(`${baseUrl}${path}`)).text();
    answers.push(text);
    return JSON.parse(text);
  }

  it('are used for the calls but appear in no table, log line, event, span or API answer', async () => {
    const spec = readFileSync(new URL('../../examples/bias-detection-8x3x3.json', import.meta.url), 'utf8');
    const res = await fetch(`${baseUrl}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spec });
    answers.push(await res.text());
    expect(res.status).toBe(201);
    const jobId = JSON.parse(answers[0]!).id as string;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const job = await get(`/api/v1/jobs/${jobId}`);
      if (!['queued', 'running'].includes(job.status)) break;
      if (Date.now() > deadline) throw new Error(`job still ${job.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = await get(`/api/v1/executions?job=${jobId}&limit=1000`);
    for (const e of page.items.slice(0, 10)) await get(`/api/v1/executions/${e.id}`);
    await get('/api/v1/findings?state=all');
    const bundle = await get(`/api/v1/jobs/${jobId}/bundle`);
    expect(bundle.receipts.length).toBeGreaterThan(0);
    expect(bundle.checkpoint).toMatch(/\n\n\u2014 log-secret /);
    await get('/api/v1/transparency/head');
    await get('/api/v1/transparency/proof/inclusion?leaf=0');
    answers.push(await (await fetch(`${baseUrl}/metrics`)).text());

    // The key was really in use: calls with it succeeded, calls with the wrong one were refused by the provider.
    const byRegion = await db.ds.query(`SELECT e.region, count(*) FILTER (WHERE a.outcome = 'succeeded')::int AS ok,
      count(*) FILTER (WHERE a.http_status = 401)::int AS unauthorised
      FROM execution_attempts a JOIN executions e ON e.id = a.execution_id GROUP BY e.region ORDER BY e.region`);
    expect(byRegion.find((r: { region: string }) => r.region === 'us-east').ok).toBeGreaterThan(0);
    expect(byRegion.find((r: { region: string }) => r.region === 'eu-west')).toMatchObject({ ok: 0, unauthorised: expect.any(Number) });
    expect(byRegion.find((r: { region: string }) => r.region === 'eu-west').unauthorised).toBeGreaterThan(0);

    // Every row of every table, as text.
    const tables: { name: string }[] = await db.ds.query(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const dump: string[] = [];
    for (const { name } of tables) {
      const rows = await db.ds.query(`SELECT t::text AS row FROM "${name.replace(/"/g, '""')}" t`);
      for (const r of rows) dump.push(`${name}: ${r.row}`);
    }
    expect(dump.length).toBeGreaterThan(72);
    const spans = exporter
      .getFinishedSpans()
      .map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }));
    expect(spans.length).toBeGreaterThan(72);
    expect(written.length).toBeGreaterThan(72);

    for (const secret of [key, wrongKey, ...logKeyForms]) {
      for (const [what, texts] of [
        ['database', dump],
        ['logs and events', written],
        ['spans', spans],
        ['API answers', answers],
      ] as const) {
        const found = texts.filter((t) => t.includes(secret) || t.includes(secret.slice(10, 40)));
        expect([what, found.slice(0, 3)]).toEqual([what, []]);
      }
    }
  });
});
