export * from './reconciler.types.js';
export { RULES } from './rules/index.js';
export * from './reconcile.service.js';
export * from './findings.repository.js';
export * from './duration.js';
export * from './repair.service.js';
