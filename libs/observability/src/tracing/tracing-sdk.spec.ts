import { describe, expect, it } from '@jest/globals';
import { otelSettings, OtelSettingError, startTracing } from './tracing-sdk.js';

describe('OTEL_* variables', () => {
  it('defect 15.3: OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_PROTOCOL and OTEL_METRICS_EXPORTER are honoured', () => {
    expect(otelSettings({})).toEqual({ traces: [], tracesProtocol: 'http/protobuf', metrics: [], metricsProtocol: 'http/protobuf' });
    expect(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).traces).toEqual(['otlp']);
    expect(otelSettings({ OTEL_TRACES_EXPORTER: 'console' }).traces).toEqual(['console']);
    expect(otelSettings({ OTEL_TRACES_EXPORTER: 'otlp,console' }).traces).toEqual(['otlp', 'console']);
    expect(otelSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).traces).toEqual([]);
    expect(otelSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).traces).toEqual([]);
    expect(otelSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracesProtocol).toBe('http/json');
    expect(otelSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toMatchObject({
      tracesProtocol: 'http/json',
      metricsProtocol: 'grpc',
    });
    // Metrics are not pushed unless asked: an OTLP endpoint for traces does not start a 60 s metrics push.
    expect(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).metrics).toEqual([]);
    expect(otelSettings({ OTEL_METRICS_EXPORTER: 'prometheus' }).metrics).toEqual([]);
    expect(otelSettings({ OTEL_METRICS_EXPORTER: 'otlp' }).metrics).toEqual(['otlp']);
  });

  it('defect 15.3: an unsupported value stops start-up with an error naming the variable', async () => {
    for (const [variable, value] of [
      ['OTEL_TRACES_EXPORTER', 'zipkin'],
      ['OTEL_TRACES_EXPORTER', 'none,otlp'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http/xml'],
      ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'udp'],
      ['OTEL_METRICS_EXPORTER', 'statsd'],
    ] as const) {
      expect(() => otelSettings({ [variable]: value })).toThrow(OtelSettingError);
      expect(() => otelSettings({ [variable]: value })).toThrow(new RegExp(`^${variable}=`));
      await expect(startTracing('t', { [variable]: value })).rejects.toThrow(variable);
    }
    await expect(startTracing('t', {})).resolves.toBeNull();
  });
});
