import { type Principal, roleAtLeast } from '@beacon/domain';
import type { SecurityRepository } from '@beacon/db';
import { ApiError } from '../api/api-error.js';

/**
 * A submitter may cancel only the jobs it submitted (`jobs.submitter` is the token name); operators and admins may
 * cancel any. Unknown jobs are left for the caller to answer 404.
 */
export async function assertMayCancel(principal: Principal, jobId: string, repo: SecurityRepository): Promise<void> {
  if (roleAtLeast(principal.role, 'operator')) return;
  const job = await repo.jobSubmitter(jobId);
  if (!job.found || job.submitter === principal.name) return;
  throw new ApiError(
    403,
    'not_owner',
    `token "${principal.name}" (role ${principal.role}) may cancel only the jobs it submitted; cancelling job ${JSON.stringify(jobId)} needs role operator`,
    [{ path: 'id', message: 'submitted by someone else' }],
  );
}

/** The `jobs.submitter` of a new job: the token name, or null for the local user of an open daemon. */
export function submitterOf(principal: Principal): string | null {
  return principal.kind === 'token' ? principal.name : null;
}
