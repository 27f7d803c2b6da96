export { createRunnerApp, type RunnerAppOptions } from './runner.app.js';
export { RunnerModule, type RunnerModuleOptions } from './runner.module.js';
