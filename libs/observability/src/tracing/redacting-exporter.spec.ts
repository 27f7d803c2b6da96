import { describe, expect, it } from '@jest/globals';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { REDACTED, secrets } from '@beacon/domain';
import { RedactingSpanExporter } from './redacting-exporter.js';

describe('RedactingSpanExporter', () => {
  it('exports spans of instrumentations with secrets hidden in name, attributes, events and status', () => {
    const key = 'sk-span-0123456789abcdefXYZ';
    secrets.add(key);
    const inner = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new RedactingSpanExporter(inner))] });
    const span = provider
      .getTracer('t')
      .startSpan(`GET /v1?key=${key}`, { attributes: { 'url.full': `https://h/v1?api_key=${key}`, n: 3, list: [`Bearer ${key}`] } });
    span.addEvent('retry', { reason: `Incorrect API key provided: ${key}` });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `401 for ${key}` });
    span.end();
    const [out] = inner.getFinishedSpans();
    const text = JSON.stringify({ name: out!.name, attributes: out!.attributes, events: out!.events, status: out!.status });
    expect(text).not.toContain(key);
    expect(out!.attributes.n).toBe(3);
    expect(out!.events[0]!.attributes!.reason).toBe(`Incorrect API key provided: ${REDACTED}`);
    expect(out!.spanContext().traceId).toBe(span.spanContext().traceId);
    expect(out!.duration).toEqual(expect.any(Array));
  });
});
