import { describe, expect, it } from '@jest/globals';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { REDACTED, secrets } from '@beacon/domain';
import { AttemptTracing, executionSpanId, formatTraceparent, type AttemptTraceInput, type CallSpanInfo } from './attempt-tracing.js';
import { ExecutionIdGenerator } from './execution-ids.js';

function setup(captureContent = false) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    idGenerator: new ExecutionIdGenerator(),
  });
  const tracing = new AttemptTracing({ tracer: provider.getTracer('t'), captureContent, maxContentChars: 200 });
  return { exporter, provider, tracing };
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const input = (attempt: number, extra: Partial<AttemptTraceInput> = {}): AttemptTraceInput => ({
  traceId,
  executionId: '42',
  jobId: 'j',
  region: 'eu-west',
  questionId: 'q1',
  modelId: 'm1',
  attempt,
  runnerId: 'r',
  jobTraceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  request: {
    providerName: 'openai',
    model: 'm1',
    baseUrl: 'http://127.0.0.1:9/v1',
    temperature: 0,
    maxTokens: 10,
    system: 'sys',
    user: 'hi',
  },
  ...extra,
});
const ok: CallSpanInfo = {
  httpStatus: 200,
  inputTokens: 3,
  outputTokens: 4,
  finishReason: 'stop',
  responseId: 'req-1',
  responseModel: 'm1-2025-01-01',
  errorType: null,
  response: 'hello',
};

describe('attempt tracing', () => {
  it('defect 15.3: the execution span is exported, with the ids every attempt of the execution names as its parent', async () => {
    const { exporter, tracing } = setup();
    const first = tracing.begin(input(1));
    await first.call(
      () => Promise.resolve(ok),
      (r) => r,
    );
    first.end('retryable_error', null, '503');
    const second = tracing.begin(input(2)); // on another runner, later: only the ids are shared
    second.end('succeeded', 'answered', null);
    const spans = exporter.getFinishedSpans();
    const execution = spans.filter((s) => s.name === 'execution eu-west m1');
    expect(execution).toHaveLength(1);
    expect(execution[0]!.spanContext()).toMatchObject({ traceId, spanId: executionSpanId(traceId) });
    expect(execution[0]!.parentSpanContext).toBeUndefined();
    expect(execution[0]!.links[0]?.context.spanId).toBe('b7ad6b7169203331');
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    for (const s of spans) {
      expect(s.spanContext().traceId).toBe(traceId);
      if (s.parentSpanContext) expect(ids.has(s.parentSpanContext.spanId)).toBe(true);
    }
    expect(spans.filter((s) => s.name.startsWith('attempt ')).map((s) => s.parentSpanContext?.spanId)).toEqual([
      executionSpanId(traceId),
      executionSpanId(traceId),
    ]);
    // Ids are random again after the execution span.
    expect(new Set(spans.map((s) => s.spanContext().spanId)).size).toBe(spans.length);
  });

  it('defect 15.3: deferred and released attempts are not errors; their outcome is an attribute', () => {
    const { exporter, tracing } = setup();
    for (const [n, outcome] of [
      [2, 'deferred'],
      [3, 'released'],
      [4, 'retryable_error'],
    ] as const) {
      tracing.begin(input(n)).end(outcome, null, outcome === 'deferred' ? 'circuit open' : 'x');
    }
    const byOutcome = Object.fromEntries(exporter.getFinishedSpans().map((s) => [s.attributes['beacon.outcome'], s]));
    expect(byOutcome.deferred!.status.code).toBe(SpanStatusCode.UNSET);
    expect(byOutcome.released!.status.code).toBe(SpanStatusCode.UNSET);
    expect(byOutcome.deferred!.attributes['error.type']).toBeUndefined();
    expect(byOutcome.retryable_error!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('defect 15.3: content capture uses the GenAI message attributes, redacted and clipped, and gen_ai.response.model', async () => {
    const key = 'sk-content-0123456789abcdefXYZ';
    secrets.add(key);
    const { exporter, tracing } = setup(true);
    const span = tracing.begin(input(2, { request: { ...input(2).request, system: `be brief ${key}`, user: 'x'.repeat(500) } }));
    await span.call(
      () => Promise.resolve({ ...ok, response: `the key is ${key}` }),
      (r) => r,
    );
    span.end('succeeded', 'answered', null);
    const call = exporter.getFinishedSpans().find((s) => s.name === 'chat m1')!;
    const a = call.attributes;
    expect(JSON.parse(String(a['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: `be brief ${REDACTED}` }]);
    const input0 = JSON.parse(String(a['gen_ai.input.messages']));
    expect(input0).toEqual([{ role: 'user', parts: [{ type: 'text', content: `${'x'.repeat(200)}…` }] }]);
    expect(JSON.parse(String(a['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: `the key is ${REDACTED}` }], finish_reason: 'stop' },
    ]);
    expect(a['gen_ai.response.model']).toBe('m1-2025-01-01');
    expect(JSON.stringify(a)).not.toContain(key);
    expect(Object.keys(a).filter((k) => k.startsWith('beacon.prompt') || k === 'beacon.response')).toEqual([]);
  });

  it('defect 15.3: work run within an attempt (its database writes) is a child of the attempt span', async () => {
    const { exporter, provider, tracing } = setup();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const span = tracing.begin(input(2));
    await span.within(async () => {
      await Promise.resolve();
      provider.getTracer('pg').startSpan('UPDATE executions').end();
    });
    span.end('succeeded', null, null);
    const [write, attempt] = exporter.getFinishedSpans();
    expect(write!.parentSpanContext?.spanId).toBe(attempt!.spanContext().spanId);
    expect(formatTraceparent(attempt!.spanContext())).toBe(`00-${traceId}-${attempt!.spanContext().spanId}-01`);
    context.disable();
  });

  it('emits no execution span from a provider without the execution id generator (its ids would be wrong)', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    new AttemptTracing({ tracer: provider.getTracer('t') }).begin(input(1)).end('succeeded', null, null);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['attempt eu-west m1']);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
