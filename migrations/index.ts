import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';

/** Every migration, in order. The DataSource takes classes, not a glob, so tests and the built CLI load the same list. */
export const MIGRATIONS = [InitialSchema1764000000000];
