export { type AuthConfig, type SigningConfig, type TrustedKey, defaultAuthConfig, defaultSigningConfig } from './auth.types.js';
export { bindRefusal, isLoopbackHost } from './bind-policy.js';
export { isRole, LOCAL_PRINCIPAL, type Principal, type Role, ROLE_GRANTS, ROLES, roleAtLeast } from './roles.js';
export { BEACON_SIGNING_VERSION, beaconSigningString, goCanonicalForms, sortedJson, type BeaconSigningInput, type GoCanonicalForm } from './spec-canonical.js';
export {
  publicKeyOf, rawPublicKeyBase64, SIGNATURE_HEADERS, signBeaconRequest, verifySpecSignature,
  type SignatureCheck, type SignatureErrorCode, type SignatureFailure, type SignedSubmission, type VerifiedSignature,
} from './spec-signature.js';
export { createToken, hashToken, TOKEN_PREFIX, tokenHashProblem, type TokenHashScheme, verifyToken } from './token-hash.js';
export {
  parseTokensEnv, TOKEN_NAME_PATTERN, type TokenEntry, tokenEntryProblems, TokenRegistry, TOKENS_ENV, tokenSetProblems,
} from './token-registry.js';
export { type RateDecision, RateLimiter } from './rate-limiter.js';
export { SIGNING_KEY_ID_PATTERN } from './auth-config.schema.js';
