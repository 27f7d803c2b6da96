import { register } from 'node:module';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ExecutionIdGenerator } from './execution-ids.js';
import { RedactingSpanExporter } from './redacting-exporter.js';

/** A started tracing SDK and how to flush it. */
export interface TracingHandle {
  shutdown(): Promise<void>;
}

/** Trace exporters `OTEL_TRACES_EXPORTER` may name (a comma-separated list, or `none`). */
export const TRACES_EXPORTERS = ['otlp', 'console', 'none'] as const;
/** OTLP wire formats `OTEL_EXPORTER_OTLP_PROTOCOL` (or `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`) may name. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
/** Metric exporters `OTEL_METRICS_EXPORTER` may name: `prometheus` and `none` push nothing (`/metrics` is always served). */
export const METRICS_EXPORTERS = ['none', 'prometheus', 'otlp', 'console'] as const;

export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** What the OTEL_* variables ask for, checked. */
export interface OtelSettings {
  /** Trace exporters to run; empty: no trace export. */
  traces: ('otlp' | 'console')[];
  tracesProtocol: OtlpProtocol;
  /** OpenTelemetry metric exporters to push to; empty (the default): none, Prometheus scrapes `/metrics`. */
  metrics: ('otlp' | 'console')[];
  metricsProtocol: OtlpProtocol;
}

/** A variable set to a value Beacon does not support: start-up stops with a message naming both. */
export class OtelSettingError extends Error {
  constructor(variable: string, value: string, allowed: readonly string[]) {
    super(`${variable}=${JSON.stringify(value)} is not supported: use ${allowed.join(', ')}`);
    this.name = 'OtelSettingError';
  }
}

function list<T extends string>(env: NodeJS.ProcessEnv, variable: string, allowed: readonly T[]): T[] | null {
  const raw = env[variable]?.trim();
  if (!raw) return null;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new OtelSettingError(variable, item, allowed);
  if (items.includes('none') && items.length > 1)
    throw new OtelSettingError(variable, raw, ['none alone', ...allowed.filter((a) => a !== 'none')]);
  return [...new Set(items)] as T[];
}

function protocol(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS'): OtlpProtocol {
  for (const variable of [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const raw = env[variable]?.trim();
    if (!raw) continue;
    if (!OTLP_PROTOCOLS.includes(raw as OtlpProtocol)) throw new OtelSettingError(variable, raw, OTLP_PROTOCOLS);
    return raw as OtlpProtocol;
  }
  return 'http/protobuf'; // the OTLP specification's default
}

/**
 * Reads and checks `OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)PROTOCOL` and `OTEL_METRICS_EXPORTER`;
 * throws {@link OtelSettingError} naming the variable for a value it does not support. Traces are exported when
 * `OTEL_TRACES_EXPORTER` names an exporter, or, unset, when an OTLP endpoint is set (then `otlp`). Metrics are pushed
 * only when `OTEL_METRICS_EXPORTER` asks (`otlp`, `console`): Beacon's metrics are Prometheus metrics on `/metrics`.
 * `OTEL_SDK_DISABLED=true` turns everything off.
 */
export function otelSettings(env: NodeJS.ProcessEnv = process.env): OtelSettings {
  const traceList = list(env, 'OTEL_TRACES_EXPORTER', TRACES_EXPORTERS);
  const metricList = list(env, 'OTEL_METRICS_EXPORTER', METRICS_EXPORTERS);
  const tracesProtocol = protocol(env, 'TRACES');
  const metricsProtocol = protocol(env, 'METRICS');
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { traces: [], tracesProtocol, metrics: [], metricsProtocol };
  const endpoint = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const traces = (traceList ?? (endpoint ? ['otlp'] : [])).filter((t): t is 'otlp' | 'console' => t !== 'none');
  const metrics = (metricList ?? []).filter((m): m is 'otlp' | 'console' => m === 'otlp' || m === 'console');
  return { traces, tracesProtocol, metrics, metricsProtocol };
}

/** True when the OTEL_* variables ask for trace export (throws on an unsupported value, as {@link otelSettings}). */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  return otelSettings(env).traces.length > 0;
}

async function otlpTraceExporter(p: OtlpProtocol): Promise<SpanExporter> {
  if (p === 'grpc') return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
  if (p === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

async function otlpMetricExporter(p: OtlpProtocol) {
  if (p === 'grpc') return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter();
  if (p === 'http/json') return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
  return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
}

/**
 * Starts the OpenTelemetry Node SDK as the OTEL_* variables ask ({@link otelSettings}), with the HTTP and pg
 * instrumentations and the {@link ExecutionIdGenerator} execution spans need. Every trace exporter is wrapped in
 * {@link RedactingSpanExporter}. Must run before the application's modules are imported: it registers the ESM loader
 * hook that lets the instrumentations patch modules loaded with `import`. Returns null, and loads nothing, when nothing
 * is to be exported, so telemetry then costs next to nothing. Throws {@link OtelSettingError} on an unsupported value.
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<TracingHandle | null> {
  const settings = otelSettings(env);
  if (settings.traces.length === 0 && settings.metrics.length === 0) return null;
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [{ NodeSDK, tracing, metrics }, { HttpInstrumentation }, { PgInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  const spanProcessors = [];
  for (const name of settings.traces) {
    const exporter = name === 'console' ? new tracing.ConsoleSpanExporter() : await otlpTraceExporter(settings.tracesProtocol);
    const redacting = new RedactingSpanExporter(exporter);
    spanProcessors.push(name === 'console' ? new tracing.SimpleSpanProcessor(redacting) : new tracing.BatchSpanProcessor(redacting));
  }
  const metricReaders = [];
  for (const name of settings.metrics) {
    const exporter = name === 'console' ? new metrics.ConsoleMetricExporter() : await otlpMetricExporter(settings.metricsProtocol);
    // OTEL_METRIC_EXPORT_INTERVAL (default 60 s) sets how often.
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
    metricReaders.push(
      new metrics.PeriodicExportingMetricReader({ exporter, ...(interval > 0 ? { exportIntervalMillis: interval } : {}) }),
    );
  }
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || serviceName,
    spanProcessors,
    metricReaders,
    logRecordProcessors: [],
    idGenerator: new ExecutionIdGenerator(),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/metrics' || req.url?.startsWith('/health') === true }),
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
