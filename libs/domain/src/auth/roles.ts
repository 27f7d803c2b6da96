/** The roles a bearer token can carry, weakest first; each role can do everything the ones before it can. */
export const ROLES = ['viewer', 'submitter', 'operator', 'admin'] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** What each role adds, for error messages and `beacon token create --help`. */
export const ROLE_GRANTS: Record<Role, string> = {
  viewer: 'read jobs, executions, findings and events (CLI listings, TUI)',
  submitter: 'viewer, plus submit jobs and cancel its own jobs',
  operator: 'submitter, plus cancel any job and run repairs',
  admin: 'everything',
};

/** True when `role` is one of {@link ROLES}. */
export function isRole(role: unknown): role is Role {
  return typeof role === 'string' && (ROLES as readonly string[]).includes(role);
}

/** True when `have` is `need` or stronger. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who made a request: a configured token (by name), or the local user of a daemon that has no tokens. */
export interface Principal {
  name: string;
  role: Role;
  kind: 'token' | 'local';
}

/** The principal of a daemon bound to loopback without tokens: the local user may do anything. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ name: 'local', role: 'admin', kind: 'local' });
