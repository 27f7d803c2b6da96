export * from './metrics/metric-registry.js';
export * from './logging/logger.js';
export * from './logging/nest-logger.js';
