import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultConfig, openAiProvider, type BeaconConfig } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { AttemptTracing, createLogger, nestLogger } from '@beacon/observability';
import { createRunnerApp } from '@beacon/runner';
import type { INestApplication } from '@nestjs/common';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { openRawSse, type RawSseStream } from '../utils/sse-reader.js';

/**
 * Upstreams that echo what they were sent: the Authorization header and the key, in 401 and retried 500 error bodies,
 * in response headers, in 200 answers (raw, base64, split across the body's chunks, in a body longer than what is
 * stored, in an error object inside a 200). Every output Beacon has is then searched for the key and for the API
 * bearer tokens: every column of every table, every log line, every span, the live events, the API answers
 * (executions, timeline, diff, analysis, findings, metrics) and `beacon report` in every format.
 */

/** The unique part of a secret in windows of 12 characters: a leak of any 12 of them is found, also a cut one. */
function windows(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 12 <= secret.length; i++) out.push(secret.slice(i, i + 12));
  return out;
}

/** base64 of a text holding `secret` at any of the three alignments, minus the characters shared with neighbours. */
function base64Cores(secret: string): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.from('x'.repeat(pad) + secret).toString('base64');
    out.push(b64.slice(pad ? 4 : 0, Math.floor((pad + secret.length) / 3) * 4).slice(0, 24));
  }
  return out;
}

/** Every text in `texts` that holds a trace of one of the secrets (raw, cut, base64 or URL-encoded). */
function leaks(texts: readonly string[], secrets: readonly string[]): string[] {
  const needles = secrets.flatMap((s) => [...windows(s.slice(s.length - 36)), ...base64Cores(s), encodeURIComponent(s)]);
  return texts.filter((t) => needles.some((n) => t.includes(n))).map((t) => t.slice(0, 400));
}

type Mode = 'e401' | 'e500' | 'e200' | 'chunked' | 'long' | 'err200';
const MODES: Mode[] = ['e401', 'e500', 'e200', 'chunked', 'long', 'err200'];

/** An OpenAI-compatible upstream on 127.0.0.1 whose every answer echoes the Authorization header it got. */
async function echoingUpstream(): Promise<{ url: string; calls: Map<Mode, number>; close(): Promise<void> }> {
  const calls = new Map<Mode, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const mode = (req.url ?? '').split('/')[1] as Mode;
      calls.set(mode, (calls.get(mode) ?? 0) + 1);
      const auth = req.headers.authorization ?? '';
      const key = auth.replace(/^Bearer /, '');
      const b64 = Buffer.from(`user:${key}`).toString('base64');
      const completion = (content: string) =>
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 5 },
        });
      const echoHeaders = { 'content-type': 'application/json', 'x-request-id': `req-${auth}`, 'x-echo-key': key };
      switch (mode) {
        case 'e401':
          res.writeHead(401, echoHeaders);
          res.end(
            JSON.stringify({
              error: {
                message: `Incorrect API key provided: ${auth}. You can find your API key at https://example.test/keys.`,
                type: 'invalid_request_error',
                code: 'invalid_api_key',
              },
            }),
          );
          return;
        case 'e500':
          res.writeHead(500, { ...echoHeaders, 'retry-after': '0' });
          res.end(
            JSON.stringify({
              error: { message: `upstream failed while handling key=${key} (Basic ${b64})`, echo: { authorization: auth } },
            }),
          );
          return;
        case 'e200':
          res.writeHead(200, echoHeaders);
          res.end(
            completion(
              `Your headers were: Authorization: ${auth}; as basic auth ${b64}; in a URL https://api.example.test/v1?key=${encodeURIComponent(key)}.`,
            ),
          );
          return;
        case 'chunked': {
          // The key arrives split over three writes, flushed apart.
          const body = completion(`The key you sent is ${key} and that is all.`);
          const at = body.indexOf(key);
          res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
          res.write(body.slice(0, at + 7));
          setTimeout(() => {
            res.write(body.slice(at + 7, at + 20));
            setTimeout(() => res.end(body.slice(at + 20)), 20);
          }, 20);
          return;
        }
        case 'long':
          // An error body longer than what is stored of it, the key straddling the cut.
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end(`${'x'.repeat(1975)}${key} trailing text`);
          return;
        case 'err200':
          res.writeHead(200, echoHeaders);
          res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Start-up against an unreachable DATABASE_URL (port 1): each command fails at once on connecting and says why. The
 * CLI runs start with the first suite (they take seconds each, mostly loading) and are checked by the last.
 */
const STARTUP_CASES = [
  {
    what: 'an @ in the user-info password',
    url: 'postgres://beacon:Zq@Xy9-PWTAILA@k@127.0.0.1:1/beacon',
    tail: 'PWTAILA',
    commands: ['migrate', 'serve'],
  },
  {
    what: '?password= in the query',
    url: 'postgres://beacon@127.0.0.1:1/beacon?password=hunter2-PWTAILB&sslmode=disable',
    tail: 'PWTAILB',
    commands: ['migrate', 'serve'],
  },
  {
    what: 'user and password in the query',
    url: 'postgresql://127.0.0.1:1/beacon?user=beacon&password=PWTAILC-x1',
    tail: 'PWTAILC',
    commands: ['migrate'],
  },
  {
    what: 'a percent-encoded password',
    url: 'postgresql://beacon:pa%40ss-PWTAILD@127.0.0.1:1/beacon',
    tail: 'PWTAILD',
    commands: ['migrate'],
  },
];

let startupOutputs: Promise<Map<string, { code: number | null; output: string }>> | null = null;

function startupRuns(): Promise<Map<string, { code: number | null; output: string }>> {
  startupOutputs ??= (async () => {
    requireBuild();
    const outputs = new Map<string, { code: number | null; output: string }>();
    await Promise.all(
      STARTUP_CASES.flatMap(({ url, tail, commands }) =>
        commands.map(async (command) => {
          const args = command === 'serve' ? ['serve', '--port', '0', '--no-workers'] : [command];
          const r = await runCli(args, { env: cliEnv({ DATABASE_URL: url }) });
          outputs.set(`${tail} ${command}`, { code: r.code, output: r.stdout + r.stderr });
        }),
      ),
    );
    return outputs;
  })();
  return startupOutputs;
}

describe('defect 13.2: provider keys echoed by an upstream', () => {
  const key = `sk-echo-${randomUUID()}`;
  const apiToken = `bct_${randomBytes(32).toString('base64url')}`;
  const bogusToken = `bct_${randomBytes(32).toString('base64url')}`;
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let db: TestDatabase;
  let upstream: Awaited<ReturnType<typeof echoingUpstream>>;
  let app: INestApplication;
  let baseUrl: string;
  let live: RawSseStream;
  let jobId: string;
  const answers = new Map<string, string>();
  const auth = { authorization: `Bearer ${apiToken}` };

  async function get(path: string): Promise<any> {
    let res = await fetch(`${baseUrl}${path}`, { headers: auth });
    // A busy daemon may ask to come back (the analysis is bounded in concurrency and time).
    for (let i = 0; res.status === 503 && i < 20; i++) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 500));
      res = await fetch(`${baseUrl}${path}`, { headers: auth });
    }
    const text = await res.text();
    answers.set(path, text);
    expect([path, res.status]).toEqual([path, 200]);
    return JSON.parse(text);
  }

  async function dumpTables(): Promise<string[]> {
    const tables: { name: string }[] = await db.ds.query(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const dump: string[] = [];
    for (const { name } of tables) {
      const rows: { row: string }[] = await db.ds.query(`SELECT t::text AS row FROM "${name.replace(/"/g, '""')}" t`);
      for (const r of rows) dump.push(`${name}: ${r.row}`);
    }
    return dump;
  }

  beforeAll(async () => {
    void startupRuns().catch(() => undefined); // awaited (and its failure reported) by the last suite
    db = await migratedDatabase('secrets_echo');
    upstream = await echoingUpstream();
    const base = defaultConfig();
    const regions: BeaconConfig['regions'] = {};
    for (const mode of MODES) {
      const id = `echo-${mode}`;
      regions[id] = {
        id,
        aliases: [],
        displayName: `echo ${mode}`,
        baseUrl: `${upstream.url}/${mode}/v1`,
        apiKeyEnv: 'BEACON_ECHO_KEY',
        concurrency: 4,
        timeoutMs: 10_000,
        provider: openAiProvider(`${upstream.url}/${mode}/v1`, 'BEACON_ECHO_KEY'),
        fallbacks: [],
      };
    }
    const config: BeaconConfig = {
      ...base,
      regions,
      models: { 'echo-model': { id: 'echo-model', name: 'echo-model', regions: Object.keys(regions) } },
      defaults: { ...base.defaults, maxAttempts: 2 },
      auth: { tokens: [{ name: 'ops', role: 'admin', hash: `sha256:${createHash('sha256').update(apiToken).digest('hex')}` }] },
    };
    const env = { BEACON_ECHO_KEY: key };
    const log = createLogger({ destination: sink, level: 'trace', pretty: false });
    app = await createRunnerApp({
      dataSource: db.ds,
      config,
      log,
      logger: nestLogger(log),
      engine: engineOptions({
        runnerId: 'echo-runner',
        config,
        env,
        pollMs: 20,
        leaseMs: 30_000,
        rollupMs: 50,
        random: () => 0,
        retryBudgetMinPerSecond: 1000,
        breakerFailures: 1000,
        tracer: new AttemptTracing({ tracer: tracerProvider.getTracer('beacon-test'), captureContent: true }),
      }),
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    live = await openRawSse(`${baseUrl}/api/v1/events`, auth);
    expect(live.status).toBe(200);

    // A request with an unknown token, refused and audited.
    expect((await fetch(`${baseUrl}/api/v1/jobs`, { headers: { authorization: `Bearer ${bogusToken}` } })).status).toBe(401);

    const spec = {
      id: `echo-${randomUUID()}`,
      version: 'v1',
      constraints: { regions: Object.keys(regions), min_regions: 1, min_success_rate: 0 },
      metadata: { models: ['echo-model'] },
      questions: ['math_basic', 'geography_basic'],
    };
    const res = await fetch(`${baseUrl}/api/v1/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    const text = await res.text();
    expect([res.status, text]).toEqual([201, expect.any(String)]);
    jobId = JSON.parse(text).id;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = await get(`/api/v1/jobs/${jobId}`);
      if (!['queued', 'running'].includes(job.status)) break;
      if (Date.now() > deadline) throw new Error(`job still ${job.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300)); // the last live events and log lines
  }, 90_000);

  afterAll(async () => {
    live?.close();
    await app?.close();
    await upstream?.close();
    await db?.close();
  });

  it('really sent the key to every upstream, which echoed it back', async () => {
    for (const mode of MODES) expect([mode, upstream.calls.get(mode) ?? 0]).toEqual([mode, expect.any(Number)]);
    expect(upstream.calls.get('e500')).toBeGreaterThanOrEqual(4); // two cells, each retried once
    const outcomes: { region: string; outcome: string; http_status: number | null }[] = await db.ds.query(
      `SELECT e.region, a.outcome, a.http_status FROM execution_attempts a JOIN executions e ON e.id = a.execution_id ORDER BY e.region, a.attempt`,
    );
    const byRegion = (r: string) => outcomes.filter((o) => o.region === `echo-${r}`).map((o) => `${o.http_status} ${o.outcome}`);
    expect(byRegion('e401')).toEqual(['401 final_error', '401 final_error']);
    expect(byRegion('e500')).toEqual(['500 retryable_error', '500 retryable_error', '500 retryable_error', '500 retryable_error']);
    expect(byRegion('e200')).toEqual(['200 succeeded', '200 succeeded']);
    expect(byRegion('chunked')).toEqual(['200 succeeded', '200 succeeded']);
    // What is stored still says what happened: the error text, with the key replaced.
    const [row] = await db.ds.query(`SELECT last_error::text AS e FROM executions WHERE region = 'echo-e401' LIMIT 1`);
    expect(row.e).toContain('Incorrect API key provided');
  });

  it('defect 13.2: a 401 echoing the Authorization header puts no key in executions.last_error, execution_attempts.error or .response', async () => {
    const rows: { t: string }[] = await db.ds.query(
      `SELECT concat_ws(' | ', e.last_error::text, a.error::text, a.response, a.upstream_request_id) AS t
         FROM executions e JOIN execution_attempts a ON a.execution_id = e.id`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(14);
    expect(
      leaks(
        rows.map((r) => r.t),
        [key],
      ),
    ).toEqual([]);
  });

  it('defect 13.2: a retried 500, a 200 answer and an error inside a 200 echoing the key (raw, base64, split across chunks, past the stored length) store no key', async () => {
    const rows: { t: string }[] = await db.ds.query(
      `SELECT concat_ws(' | ', e.region, e.response, e.last_error::text, a.response, a.error::text) AS t
         FROM executions e JOIN execution_attempts a ON a.execution_id = e.id
        WHERE e.region IN ('echo-e500', 'echo-e200', 'echo-chunked', 'echo-long', 'echo-err200')`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(12);
    expect(
      leaks(
        rows.map((r) => r.t),
        [key],
      ),
    ).toEqual([]);
  });

  it('defect 13.2: no log line holds the key', () => {
    expect(logLines.length).toBeGreaterThan(10);
    expect(leaks(logLines, [key, apiToken, bogusToken])).toEqual([]);
  });

  it('defect 13.2: no span (attributes, events, status) holds the key', () => {
    const spans = exporter
      .getFinishedSpans()
      .map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }));
    expect(spans.length).toBeGreaterThanOrEqual(28); // an attempt span and a call span per attempt
    expect(leaks(spans, [key])).toEqual([]);
  });

  it('defect 13.2: /api/v1/executions/:id, the timeline, the diff and the analysis show no key', async () => {
    const page = await get(`/api/v1/executions?job=${jobId}&limit=1000`);
    expect(page.items.length).toBe(12);
    for (const e of page.items) await get(`/api/v1/executions/${e.id}`);
    await get(`/api/v1/jobs/${jobId}/timeline`);
    const failed = page.items.find((e: { region: string }) => e.region === 'echo-e401');
    const answered = page.items.find((e: { region: string }) => e.region === 'echo-e200');
    await get(`/api/v1/diff?a=e:${failed.id}&b=e:${answered.id}`);
    await get(`/api/v1/jobs/${jobId}/analysis`);
    await get('/api/v1/findings?state=all');
    await get(`/api/v1/jobs?limit=100`);
    const metrics = await fetch(`${baseUrl}/metrics`, { headers: auth });
    answers.set('/metrics', await metrics.text());
    expect(leaks([...answers.values()], [key, apiToken])).toEqual([]);
  });

  it('no secret in live events (the finding summaries and event fields quote no stored text)', () => {
    const frames = live.messages.map((m) => JSON.stringify(m));
    expect(frames.length).toBeGreaterThan(12);
    expect(leaks(frames, [key, apiToken])).toEqual([]);
  });

  it('defect 13.2: beacon report (Markdown and HTML) shows no key', async () => {
    requireBuild();
    const env = cliEnv({ BEACON_API_URL: baseUrl, BEACON_TOKEN: apiToken });
    // JSON is the analysis answer itself (checked above); CSV holds no answer text.
    const runs = await Promise.all(
      ['md', 'html'].map(async (format) => ({ format, r: await runCli(['report', jobId, '--format', format], { env }) })),
    );
    for (const { format, r } of runs) {
      expect([format, r.code, r.stderr]).toEqual([format, 0, '']);
      expect(r.stdout).toContain('echo-e200');
      expect([format, leaks([r.stdout, r.stderr], [key, apiToken])]).toEqual([format, []]);
    }
  });

  it('no secret in any output: every column of every table holds neither the key nor a bearer token', async () => {
    const dump = await dumpTables();
    expect(dump.length).toBeGreaterThan(40);
    expect(dump.some((row) => row.startsWith('audit_log:'))).toBe(true);
    expect(leaks(dump, [key, apiToken, bogusToken])).toEqual([]);
  });
});

describe('defect 13.2: start-up errors and the database password', () => {
  const cases = STARTUP_CASES;
  let outputs: Map<string, { code: number | null; output: string }>;

  beforeAll(async () => {
    outputs = await startupRuns();
  }, 120_000);

  function check(tail: string, commands: string[]): void {
    for (const command of commands) {
      const { code, output } = outputs.get(`${tail} ${command}`)!;
      expect([command, code]).not.toEqual([command, 0]);
      expect([command, output]).toEqual([command, expect.stringMatching(/database .*connect|ECONNREFUSED/i)]);
      expect([command, output.includes(tail) ? output : '']).toEqual([command, '']);
    }
  }

  it.each(cases.slice(0, 3))(
    'defect 13.2: beacon $commands against an unreachable DATABASE_URL with $what does not print the password',
    ({ tail, commands }) => {
      check(tail, commands);
    },
  );

  it('nor with a percent-encoded password', () => {
    check(cases[3]!.tail, cases[3]!.commands);
  });
});
