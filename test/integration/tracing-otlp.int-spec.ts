import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
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

describe('traces as a backend receives them', () => {
  it('defect 15.3: every exported span has its parent in the export, on a job with a retried and a released cell, submitted with beacon submit', async () => {
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

      // Two calls fail once and are retried; the held call is in flight when daemon a stops: released.
      await waitFor(
        'the answered cells and the held call',
        async () => {
          const s = await fleet.states('otlp-1');
          return (s.succeeded ?? 0) === 2 && gw.held === 1 ? s : null;
        },
        60_000,
      );
      await a.stop();
      const [released] = await fleet.ds.query(
        `SELECT a.outcome FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
          WHERE e.job_id = 'otlp-1' AND e.question_id = 'hold'`,
      );
      expect(released.outcome).toBe('released');
      gw.hold = false;
      const b = await fleet.startDaemon({ ...otel, OTEL_SERVICE_NAME: 'beacon-b' });
      await waitFor('the job to complete', async () => ((await fleet.states('otlp-1')).succeeded === 3 ? true : null), 60_000);
      await b.stop();

      const attempts: { execution_id: string; trace_id: string; attempt: number; span_id: string; outcome: string; question_id: string }[] =
        await fleet.ds.query(
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
      );
      const spans = receiver.spans;
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const show = (s: ReceivedSpan) => `${s.service} ${s.name} ${s.spanId} parent ${s.parentSpanId}`;

      // 1. No span points at a parent the backend never got.
      const orphans = spans.filter((s) => s.parentSpanId && !byId.has(s.parentSpanId));
      expect(orphans.map(show)).toEqual([]);
      // The roots are the CLI's request, the executions, and server requests with no caller (none here): by design.
      const roots = spans.filter((s) => !s.parentSpanId);
      for (const r of roots) expect(r.service === 'beacon-cli' || r.name.startsWith('execution ')).toBe(true);

      // 2. One execution span per execution, with the stored trace id; every attempt of it (on either daemon) under it.
      const executions = new Map<string, ReceivedSpan>();
      for (const r of attempts) {
        const exec = byId.get(executionSpanId(r.trace_id));
        expect(exec).toMatchObject({ traceId: r.trace_id, name: 'execution us-east qwen2.5-1.5b', parentSpanId: '' });
        executions.set(r.execution_id, exec!);
        const span = byId.get(r.span_id)!;
        expect(span).toMatchObject({ traceId: r.trace_id, parentSpanId: executionSpanId(r.trace_id) });
        expect(span.attributes['beacon.outcome']).toBe(r.outcome);
      }
      expect(executions.size).toBe(3);
      const retried = attempts.filter((r) => r.outcome === 'retryable_error');
      expect(retried).toHaveLength(2);
      for (const r of retried)
        expect(attempts.filter((x) => x.execution_id === r.execution_id).map((x) => x.outcome)).toEqual(['retryable_error', 'succeeded']);
      const hold = attempts.filter((r) => r.question_id === 'hold');
      expect(hold.map((r) => [r.outcome, byId.get(r.span_id)!.service])).toEqual([
        ['released', 'beacon-a'],
        ['succeeded', 'beacon-b'],
      ]);

      // 3. Released is not an error; a retryable error is.
      expect(byId.get(hold[0]!.span_id)!.status.code).toBe(0);
      expect(byId.get(retried[0]!.span_id)!.status.code).toBe(2);

      // 4. Each attempt's database writes are its children (pg instrumentation).
      for (const r of attempts) {
        const writes = spans.filter(
          (s) => s.parentSpanId === r.span_id && (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'postgresql',
        );
        expect([r.outcome, writes.length > 0]).toEqual([r.outcome, true]);
      }

      // 5. The gateway got a traceparent of the attempt's trace, naming the attempt's provider call span.
      expect(gw.calls).toHaveLength(attempts.length);
      for (const call of gw.calls) {
        const [, traceId, parentId] = call.traceparent?.split('-') ?? [];
        const chat = byId.get(parentId ?? '');
        expect(chat).toMatchObject({ traceId, name: 'chat qwen2.5-1.5b', kind: CLIENT });
        expect(attempts.some((r) => r.span_id === chat!.parentSpanId && r.trace_id === traceId)).toBe(true);
      }

      // 6. The submission: the daemon's own request span, child of the CLI's span, is what the job stores and every
      // attempt links to.
      const [, , serverSpanId] = String(job.traceparent).split('-');
      const server = byId.get(serverSpanId!)!;
      expect(server).toMatchObject({ service: 'beacon-a', kind: SERVER });
      expect(byId.get(server.parentSpanId)).toMatchObject({ service: 'beacon-cli', kind: CLIENT, traceId: server.traceId });
      for (const r of attempts) {
        expect(byId.get(r.span_id)!.links.map((l) => l.spanId)).toEqual([serverSpanId]);
      }

      // 7. Content capture in the GenAI shapes, and the model the upstream says answered.
      const ok = spans.find((s) => s.name.startsWith('chat ') && s.attributes['gen_ai.output.messages'])!;
      expect(JSON.parse(String(ok.attributes['gen_ai.input.messages']))[0]).toMatchObject({ role: 'user', parts: [{ type: 'text' }] });
      expect(JSON.parse(String(ok.attributes['gen_ai.system_instructions']))[0]).toMatchObject({ type: 'text' });
      expect(JSON.parse(String(ok.attributes['gen_ai.output.messages']))[0]).toMatchObject({ role: 'assistant', finish_reason: 'stop' });
      expect(ok.attributes['gen_ai.response.model']).toEqual(expect.any(String));
    } finally {
      await fleet.close();
      await Promise.all([receiver.close(), gw.close()]);
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
