export { createRunnerApp, type RunnerAppOptions } from './runner.app.js';
export { RunnerModule, type RunnerModuleOptions } from './runner.module.js';
export { DriftService, TREND_SOURCE, type DriftOutcome } from './drift/drift.service.js';
export { DeliveryWorker, deliveryStep, type DeliveryWorkerOptions, type OutboxPort } from './notifications/delivery-worker.js';
