export * from './metrics/metric-registry.js';
export { EVENT_LOOP_PERCENTILES, EVENT_LOOP_RESOLUTION_MS } from './metrics/event-loop-delay.js';
export * from './logging/logger.js';
export * from './logging/nest-logger.js';
export * from './tracing/attempt-tracing.js';
export * from './tracing/semconv.js';
export * from './tracing/tracing-sdk.js';
export * from './tracing/redacting-exporter.js';
export * from './tracing/execution-ids.js';
