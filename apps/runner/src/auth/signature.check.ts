import { type BeaconConfig, type SignedSubmission, type VerifiedSignature, verifySpecSignature } from '@beacon/domain';
import { ApiError } from '../api/api-error.js';

/**
 * Verifies a submission's signature when the deployment requires signed specs (`signing.required`): the verified
 * signature, null when signatures are not required, or a 400/403 with the failure's own error code.
 */
export function checkSignature(config: BeaconConfig, sub: SignedSubmission, now: Date = new Date()): VerifiedSignature | null {
  if (!config.signing?.required) return null;
  const check = verifySpecSignature(sub, config.signing, now);
  if (check.ok) return check.signature;
  const { status, code, message, path } = check.failure;
  throw new ApiError(status, code, message, [{ path, message }]);
}

/** 409: a signed submission whose nonce was already used with this key. */
export function replayed(keyId: string): ApiError {
  return new ApiError(
    409,
    'nonce_replayed',
    `this nonce was already used with signing key "${keyId}": a signed spec is accepted once; sign it again with a new nonce to resubmit`,
    [{ path: 'nonce', message: 'already used' }],
  );
}
