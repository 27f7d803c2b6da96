import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { JobRepository, LifecycleRepository, QueueRepository, RunnerRepository } from '@beacon/db';
import { defaultConfig, normaliseJobSpec } from '@beacon/domain';
import { Engine, OpenAiCompatibleProvider, engineOptions } from '@beacon/engine';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { AttemptTracing, ExecutionIdGenerator, executionSpanId } from '@beacon/observability';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/** Polls `check` until it returns a value, failing after `ms`. */
async function until<T>(what: string, check: () => Promise<T | null | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('one trace per execution', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    idGenerator: new ExecutionIdGenerator(),
  });
  const tracer = new AttemptTracing({ tracer: provider.getTracer('beacon-test') });

  beforeAll(async () => {
    db = await migratedDatabase('trace');
    sim = await startSimulator({ port: 0, seed: 7, faults: { errorRate: 1, latencyMs: { min: 1, max: 5 } } });
  });
  afterAll(async () => {
    await sim?.close();
    await db?.close();
  });

  function engineFor(runnerId: string): Engine {
    const config = defaultConfig();
    for (const r of Object.values(config.regions)) r.baseUrl = sim.baseUrlFor(r.id);
    const stores = { queue: new QueueRepository(db.ds), lifecycle: new LifecycleRepository(db.ds), runners: new RunnerRepository(db.ds) };
    return new Engine(
      engineOptions({ runnerId, config, tracer, pollMs: 50, leaseMs: 5_000, random: () => 0 }),
      stores,
      new OpenAiCompatibleProvider(),
    );
  }

  it("puts two attempts of one cell, made by two runners, in the cell's trace with GenAI attributes", async () => {
    const config = defaultConfig();
    const raw = { id: 'traced', questions: ['math_basic'], models: ['qwen2.5-1.5b'], regions: ['eu-west'] };
    const norm = normaliseJobSpec(raw, config);
    if (!norm.ok) throw new Error(JSON.stringify(norm.problems));
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await new JobRepository(db.ds).submit({
      spec: norm.spec,
      received: JSON.stringify(raw),
      hash: norm.hash,
      submitter: null,
      traceparent,
    });
    const [cell] = await db.ds.query(`SELECT id, trace_id FROM executions WHERE job_id = 'traced'`);

    const a = engineFor('runner-a');
    await a.start('test', 'host-a');
    await until(
      'the first attempt to fail',
      async () => (await db.ds.query(`SELECT 1 FROM executions WHERE id = $1 AND failures = 1 AND state = 'pending'`, [cell.id]))[0],
    );
    await a.stop();
    sim.setFaults({ errorRate: 0 });

    const b = engineFor('runner-b');
    await b.start('test', 'host-b');
    await until(
      'the retry to succeed',
      async () => (await db.ds.query(`SELECT 1 FROM executions WHERE id = $1 AND state = 'succeeded'`, [cell.id]))[0],
    );
    await b.stop();

    const spans = exporter.getFinishedSpans();
    const attempts = spans.filter((s) => s.name.startsWith('attempt '));
    const calls = spans.filter((s) => s.name.startsWith('chat '));
    expect(attempts).toHaveLength(2);
    expect(calls).toHaveLength(2);
    for (const s of [...attempts, ...calls]) expect(s.spanContext().traceId).toBe(cell.trace_id);
    expect(attempts.map((s) => s.attributes['beacon.runner.id']).sort()).toEqual(['runner-a', 'runner-b']);
    expect(attempts.map((s) => s.attributes['beacon.attempt']).sort()).toEqual([1, 2]);
    expect(attempts.map((s) => s.attributes['beacon.outcome']).sort()).toEqual(['retryable_error', 'succeeded']);
    // The execution span both attempts hang under is exported (by runner-a, with the first attempt).
    const executions = spans.filter((s) => s.name.startsWith('execution '));
    expect(executions.map((s) => [s.spanContext().traceId, s.spanContext().spanId, s.parentSpanContext])).toEqual([
      [cell.trace_id, executionSpanId(cell.trace_id), undefined],
    ]);
    for (const s of attempts) {
      expect(s.parentSpanContext?.spanId).toBe(executionSpanId(cell.trace_id));
      expect(s.attributes).toMatchObject({
        'beacon.job.id': 'traced',
        'beacon.execution.id': String(cell.id),
        'beacon.region': 'eu-west',
        'beacon.question.id': 'math_basic',
      });
      expect(s.links[0]?.context.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    }
    const attemptIds = new Set(attempts.map((s) => s.spanContext().spanId));
    for (const c of calls) {
      expect(attemptIds.has(c.parentSpanContext?.spanId ?? '')).toBe(true);
      expect(c.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'qwen2.5-1.5b',
        'gen_ai.request.temperature': 0.1,
        'gen_ai.request.max_tokens': 500,
        'server.address': '127.0.0.1',
      });
    }
    const ok = calls.find((c) => c.attributes['gen_ai.usage.output_tokens'] !== undefined)!;
    expect(ok.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(Number(ok.attributes['gen_ai.usage.input_tokens'])).toBeGreaterThan(0);
    expect(calls.find((c) => c !== ok)!.attributes['error.type']).toMatch(/^5\d\d$/);
    // The attempt rows carry the span ids of their spans.
    const rows = await db.ds.query('SELECT attempt, span_id FROM execution_attempts WHERE execution_id = $1 ORDER BY attempt', [cell.id]);
    expect(rows.map((r: { span_id: string }) => r.span_id).sort()).toEqual([...attemptIds].sort());
  });
});
