// Entry of an analysis worker started from the TypeScript sources: installs the source hooks, then loads the worker.
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';

register(new URL('./source-hooks.mjs', import.meta.url));
await import(workerData.sourceEntry);
