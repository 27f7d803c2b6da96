export type { AcquireOptions, DatabaseHandle, ThrowawayDatabase } from './embedded.types.js';
export { acquireDatabase } from './acquire-database.util.js';
export { createThrowawayDatabase } from './throwaway-database.util.js';
export type { DatabaseWatch, WatchOptions, WatchState } from './watch-database.util.js';
