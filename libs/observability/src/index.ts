export * from './metrics/metric-registry.js';
