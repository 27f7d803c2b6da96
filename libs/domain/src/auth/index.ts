export { type AuthConfig, type SigningConfig, type TrustedKey, defaultAuthConfig, defaultSigningConfig } from './auth.types.js';
export { bindRefusal, isLoopbackHost } from './bind-policy.js';
export { isRole, LOCAL_PRINCIPAL, type Principal, type Role, ROLE_GRANTS, ROLES, roleAtLeast } from './roles.js';
export {
  BEACON_SIGNING_VERSION,
  beaconSigningString,
  goCanonicalForms,
  sortedJson,
  type BeaconSigningInput,
  type GoCanonicalForm,
} from './spec-canonical.js';
export {
  publicKeyOf,
  rawPublicKeyBase64,
  SIGNATURE_HEADERS,
  signBeaconRequest,
  verifySpecSignature,
  type SignatureCheck,
  type SignatureErrorCode,
  type SignatureFailure,
  type SignedSubmission,
  type VerifiedSignature,
} from './spec-signature.js';
export {
  createToken,
  hashToken,
  isSlowHash,
  TOKEN_ID_PATTERN,
  TOKEN_PREFIX,
  tokenDigest,
  tokenHashProblem,
  type TokenHashScheme,
  tokenIdOf,
  verifyToken,
} from './token-hash.js';
export {
  parseTokensEnv,
  type SlowVerdict,
  TOKEN_NAME_PATTERN,
  type TokenEntry,
  tokenEntryProblems,
  type TokenLookup,
  TokenRegistry,
  type TokenRegistryOptions,
  TOKENS_ENV,
  tokenSetProblems,
} from './token-registry.js';
export { SIGNING_KEY_ID_PATTERN } from './auth-config.schema.js';
