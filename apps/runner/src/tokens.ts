/** Injection tokens for values the daemon is started with (see CoreModule) and the repositories (see DatabaseModule). */
export const BEACON_CONFIG = Symbol('BEACON_CONFIG');
export const JOB_REPOSITORY = Symbol('JOB_REPOSITORY');
export const READ_REPOSITORY = Symbol('READ_REPOSITORY');
export const SECURITY_REPOSITORY = Symbol('SECURITY_REPOSITORY');
export const ENGINE_OPTIONS = Symbol('ENGINE_OPTIONS');
export const ENGINE_LISTENERS = Symbol('ENGINE_LISTENERS');
export const CHAT_PROVIDER = Symbol('CHAT_PROVIDER');
export const LIFECYCLE_REPOSITORY = Symbol('LIFECYCLE_REPOSITORY');
export const METRICS = Symbol('METRICS');
export const LOGGER = Symbol('LOGGER');
export const OBSERVABILITY = Symbol('OBSERVABILITY');
