/** Injection tokens of the security providers. */
export const TOKEN_REGISTRY = Symbol('TOKEN_REGISTRY');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const FAILED_AUTH_LIMITER = Symbol('FAILED_AUTH_LIMITER');
export const SECURITY_REPOSITORY = Symbol('SECURITY_REPOSITORY');
