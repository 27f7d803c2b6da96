import type { Attributes, AttributeValue, SpanStatus } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { redactSecrets } from '@beacon/domain';

function redactValue(v: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof v === 'string') return redactSecrets(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? redactSecrets(x) : x)) as AttributeValue;
  return v;
}

function redactAttributes(attrs: Attributes | undefined): Attributes | undefined {
  if (!attrs) return attrs;
  let out: Attributes | null = null;
  for (const [k, v] of Object.entries(attrs)) {
    const r = redactValue(v);
    if (r !== v) (out ??= { ...attrs })[k] = r;
  }
  return out ?? attrs;
}

/**
 * A span as exported, with secrets hidden in its name, attributes, events and status. Spans from instrumentations
 * (HTTP, pg) carry text Beacon did not write itself, such as URLs with query strings and error messages; the span
 * itself stays untouched, the exported view inherits everything else from it.
 */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  const events: TimedEvent[] = span.events.map((e) => {
    const attributes = redactAttributes(e.attributes);
    const name = redactSecrets(e.name);
    return attributes === e.attributes && name === e.name ? e : { ...e, name, attributes };
  });
  const status: SpanStatus = span.status.message ? { ...span.status, message: redactSecrets(span.status.message) } : span.status;
  const view = Object.create(span) as ReadableSpan;
  Object.defineProperties(view, {
    name: { value: redactSecrets(span.name), enumerable: true },
    attributes: { value: redactAttributes(span.attributes), enumerable: true },
    events: { value: events, enumerable: true },
    status: { value: status, enumerable: true },
  });
  return view;
}

/** Wraps the trace exporter so that no exported span carries a secret (see {@link redactSpan}). */
export class RedactingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
