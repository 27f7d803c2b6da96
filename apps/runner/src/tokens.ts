/** Injection tokens for values the daemon is started with. */
export const BEACON_CONFIG = Symbol('BEACON_CONFIG');
export const JOB_REPOSITORY = Symbol('JOB_REPOSITORY');
export const READ_REPOSITORY = Symbol('READ_REPOSITORY');
