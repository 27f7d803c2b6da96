import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { executionSpanId } from '@beacon/observability';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { closeAllFleets, Fleet, waitFor } from '../utils/fleet.js';
import { startOtlpReceiver, type ReceivedSpan } from '../utils/otlp-receiver.js';

afterAll(closeAllFleets);

/**
 * A gateway in front of the simulator: records each call's `traceparent`, answers the first `failFirst` calls 503,
 * and holds calls whose prompt says HOLD (until the caller gives up) while `hold` is on.
 */
async function startGateway() {
  const gw = {
    target: '',
    failFirst: 2,
    hold: true,
    calls: [] as { traceparent: string | undefined; user: string; status: number }[],
    held: 0,
    url: '',
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const user = String(
        (JSON.parse(body.toString('utf8')) as { messages: { role: string; content: string }[] }).messages.at(-1)?.content,
      );
      const traceparent = req.headers.traceparent as string | undefined;
      if (gw.hold && user.includes('HOLD')) {
        gw.held++;
        gw.calls.push({ traceparent, user, status: 0 });
        return; // never answered: the runner's shutdown aborts it
      }
      if (gw.failFirst > 0) {
        gw.failFirst--;
        gw.calls.push({ traceparent, user, status: 503 });
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"error":{"message":"overloaded"}}');
        return;
      }
      gw.calls.push({ traceparent, user, status: 200 });
      const up = http.request(gw.target + req.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gw.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gw.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return gw;
}

const SERVER = 2; // OTLP SPAN_KIND_SERVER
const CLIENT = 3; // OTLP SPAN_KIND_CLIENT

/** What one traced job left: the spans a backend received, the attempt rows, the job's stored link, the gateway's log. */
interface Scenario {
  spans: ReceivedSpan[];
  byId: Map<string, ReceivedSpan>;
  paths: string[];
  attempts: { execution_id: string; trace_id: string; attempt: number; span_id: string; outcome: string; question_id: string }[];
  jobTraceparent: string | null;
  gateway: { traceparent: string | undefined; user: string; status: number }[];
}

const show = (s: ReceivedSpan) => `${s.service} ${s.name} ${s.spanId} parent ${s.parentSpanId || '-'}`;

describe('traces as a backend receives them', () => {
  let run: Scenario;

  /**
   * One job through the real CLI and two real daemons, exporting to a real OTLP receiver: two cells fail once (503)
   * and are retried, one call is held until daemon a stops (released), daemon b finishes it.
   */
  beforeAll(async () => {
    requireBuild();
    const receiver = await startOtlpReceiver();
    const gw = await startGateway();
    const fleet = await Fleet.create({
      prefix: 'otlp',
      models: ['qwen2.5-1.5b'],
      regions: { 'us-east': { baseUrl: `${gw.url}/us-east/v1` } },
    }).catch(async (err: unknown) => {
      await Promise.all([receiver.close(), gw.close()]);
      throw err;
    });
    try {
      gw.target = fleet.sim.url;
      const otel = {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        // Had metrics been pushed (they were, by default, every 60 s), they would come every 200 ms.
        OTEL_METRIC_EXPORT_INTERVAL: '200',
        BEACON_TRACE_CONTENT: 'true',
      };
      const a = await fleet.startDaemon({ ...otel, OTEL_SERVICE_NAME: 'beacon-a', BEACON_SHUTDOWN_GRACE_MS: '200' });
      const file = path.join(os.tmpdir(), `beacon-otlp-${process.pid}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          id: 'otlp-1',
          models: ['qwen2.5-1.5b'],
          regions: ['us-east'],
          questions: [
            { id: 'math', text: 'What is 2+2?' },
            { id: 'capital', text: 'What is the capital of France?' },
            { id: 'hold', text: 'HOLD: what is 3+3?' },
          ],
        }),
      );
      const submitted = await runCli(['submit', file, '--json'], {
        env: cliEnv({ BEACON_API_URL: a.url, ...otel, OTEL_SERVICE_NAME: 'beacon-cli' }),
      });
      expect(submitted.stderr).toBe('');
      expect(submitted.code).toBe(0);
      await waitFor(
        'the answered cells and the held call',
        async () => {
          const s = await fleet.states('otlp-1');
          return (s.succeeded ?? 0) === 2 && gw.held === 1 ? s : null;
        },
        60_000,
      );
      await a.stop();
      gw.hold = false;
      const b = await fleet.startDaemon({ ...otel, OTEL_SERVICE_NAME: 'beacon-b' });
      await waitFor('the job to complete', async () => ((await fleet.states('otlp-1')).succeeded === 3 ? true : null), 60_000);
      await b.stop();
      const attempts: Scenario['attempts'] = await fleet.ds.query(
        `SELECT e.id::text AS execution_id, e.trace_id, a.attempt, a.span_id, a.outcome, e.question_id
           FROM execution_attempts a JOIN executions e ON e.id = a.execution_id WHERE e.job_id = 'otlp-1' ORDER BY e.id, a.attempt`,
      );
      const [job] = await fleet.ds.query(`SELECT traceparent FROM jobs WHERE id = 'otlp-1'`);
      await waitFor(
        'every attempt span',
        () => {
          const got = new Set(receiver.spans.map((s) => s.spanId));
          return attempts.every((r) => got.has(r.span_id)) ? true : null;
        },
        30_000,
      ).catch(() => undefined); // a test below says which are missing
      run = {
        spans: receiver.spans,
        byId: new Map(receiver.spans.map((s) => [s.spanId, s])),
        paths: receiver.paths,
        attempts,
        jobTraceparent: (job as { traceparent: string | null }).traceparent,
        gateway: gw.calls,
      };
    } finally {
      await fleet.close();
      await Promise.all([receiver.close(), gw.close()]);
    }
  }, 240_000);

  it('the scenario ran: two retried cells, one released then finished by the other daemon', () => {
    const { attempts } = run;
    expect(new Set(attempts.map((r) => r.execution_id)).size).toBe(3);
    const retried = attempts.filter((r) => r.outcome === 'retryable_error');
    expect(retried).toHaveLength(2);
    for (const r of retried) {
      expect(attempts.filter((x) => x.execution_id === r.execution_id).map((x) => x.outcome)).toEqual(['retryable_error', 'succeeded']);
    }
    expect(attempts.filter((r) => r.question_id === 'hold').map((r) => r.outcome)).toEqual(['released', 'succeeded']);
  });

  it("defect 15.3: every exported span's parent is in the export; the roots are execution spans and the CLI's span, by design", () => {
    const { spans, byId, attempts } = run;
    expect(spans.filter((s) => s.parentSpanId && !byId.has(s.parentSpanId)).map(show)).toEqual([]);
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.filter((r) => !(r.service === 'beacon-cli' || r.name.startsWith('execution '))).map(show)).toEqual([]);
    // One execution span per execution, in the stored trace; every attempt of it, on either daemon, under it.
    for (const r of attempts) {
      expect(byId.get(executionSpanId(r.trace_id))).toMatchObject({
        traceId: r.trace_id,
        name: 'execution us-east qwen2.5-1.5b',
        parentSpanId: '',
      });
      expect(byId.get(r.span_id)).toMatchObject({ traceId: r.trace_id, parentSpanId: executionSpanId(r.trace_id) });
      expect(byId.get(r.span_id)!.attributes['beacon.outcome']).toBe(r.outcome);
    }
    const hold = run.attempts.filter((r) => r.question_id === 'hold');
    expect(hold.map((r) => byId.get(r.span_id)?.service)).toEqual(['beacon-a', 'beacon-b']);
    expect(byId.get(executionSpanId(hold[0]!.trace_id))?.service).toBe('beacon-a');
  });

  it('defect 15.3: each attempt runs its database writes inside its span (pg spans are its children)', () => {
    for (const r of run.attempts) {
      const writes = run.spans.filter(
        (s) => s.parentSpanId === r.span_id && (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'postgresql',
      );
      expect([r.outcome, writes.length > 0]).toEqual([r.outcome, true]);
    }
  });

  it("defect 15.3: the upstream receives a traceparent of the attempt's trace, naming its provider call span", () => {
    expect(run.gateway).toHaveLength(run.attempts.length);
    for (const call of run.gateway) {
      const [, traceId, parentId] = call.traceparent?.split('-') ?? [];
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const chat = run.byId.get(parentId ?? '');
      expect(chat).toMatchObject({ traceId, name: 'chat qwen2.5-1.5b', kind: CLIENT });
      expect(run.attempts.some((r) => r.span_id === chat!.parentSpanId && r.trace_id === traceId)).toBe(true);
    }
  });

  it("defect 15.3: beacon submit links the job to the daemon's own request span, a child of the CLI's span", () => {
    const serverSpanId = run.jobTraceparent?.split('-')[2];
    const server = run.byId.get(serverSpanId ?? '');
    expect(server).toMatchObject({ service: 'beacon-a', kind: SERVER });
    expect(run.byId.get(server!.parentSpanId)).toMatchObject({ service: 'beacon-cli', kind: CLIENT, traceId: server!.traceId });
    for (const r of run.attempts) expect(run.byId.get(r.span_id)?.links.map((l) => l.spanId)).toEqual([serverSpanId]);
  });

  it('defect 15.3: a released attempt is not an error; a retryable error is', () => {
    const released = run.attempts.find((r) => r.outcome === 'released')!;
    const failed = run.attempts.find((r) => r.outcome === 'retryable_error')!;
    expect(run.byId.get(released.span_id)).toMatchObject({ status: { code: 0 }, attributes: { 'beacon.outcome': 'released' } });
    expect(run.byId.get(failed.span_id)?.status.code).toBe(2);
  });

  it('defect 15.3: content capture uses the GenAI message attributes; gen_ai.response.model is set', () => {
    const ok = run.spans.find((s) => s.name.startsWith('chat ') && s.attributes['gen_ai.output.messages']);
    expect(ok).toBeDefined();
    expect(JSON.parse(String(ok!.attributes['gen_ai.input.messages']))[0]).toMatchObject({ role: 'user', parts: [{ type: 'text' }] });
    expect(JSON.parse(String(ok!.attributes['gen_ai.system_instructions']))[0]).toMatchObject({ type: 'text' });
    expect(JSON.parse(String(ok!.attributes['gen_ai.output.messages']))[0]).toMatchObject({ role: 'assistant', finish_reason: 'stop' });
    expect(ok!.attributes['gen_ai.response.model']).toEqual(expect.any(String));
  });

  it('defect 15.3: no OpenTelemetry metrics are pushed unless OTEL_METRICS_EXPORTER asks', () => {
    expect(run.paths.filter((p) => p !== '/v1/traces')).toEqual([]);
  });
});

describe('OTEL_* variables on the CLI', () => {
  it('defect 15.3: OTEL_EXPORTER_OTLP_PROTOCOL picks the wire format (http/protobuf by default); OTEL_TRACES_EXPORTER=none exports nothing', async () => {
    requireBuild();
    const receiver = await startOtlpReceiver();
    try {
      // Any API call makes a client span (the receiver answers it too: what it says does not matter here).
      const call = (env: Record<string, string>) =>
        runCli(['jobs'], { env: cliEnv({ BEACON_API_URL: receiver.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env }) });
      await call({});
      await call({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      await call({ OTEL_TRACES_EXPORTER: 'none' });
      expect(receiver.contentTypes).toEqual(['application/x-protobuf', 'application/json']);
    } finally {
      await receiver.close();
    }
  });

  it('defect 15.3: an unsupported OTEL_* value stops the CLI at start-up, naming the variable', async () => {
    requireBuild();
    for (const [variable, value] of [
      ['OTEL_TRACES_EXPORTER', 'jaeger'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http/xml'],
      ['OTEL_METRICS_EXPORTER', 'statsd'],
    ]) {
      const r = await runCli(['--version'], { env: cliEnv({ [variable!]: value }) });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${variable}="${value}" is not supported`);
    }
  });
});
