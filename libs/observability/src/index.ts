export * from './metrics/metric-registry.js';
export * from './logging/logger.js';
export * from './logging/nest-logger.js';
export * from './tracing/attempt-tracing.js';
export * from './tracing/semconv.js';
export * from './tracing/tracing-sdk.js';
export * from './tracing/redacting-exporter.js';
