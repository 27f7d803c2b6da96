export * from './schedule.types.js';
export * from './cadence.js';
export * from './cron-expression.js';
export * from './firing-plan.js';
