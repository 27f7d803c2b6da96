/** Injection tokens of the security providers (AuthModule); the security repository's is DatabaseModule's. */
export const TOKEN_REGISTRY = Symbol('TOKEN_REGISTRY');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const FAILED_AUTH_LIMITER = Symbol('FAILED_AUTH_LIMITER');
export { SECURITY_REPOSITORY } from '../tokens.js';
