import { SetMetadata } from '@nestjs/common';
import type { BeaconConfig, Role } from '@beacon/domain';

/** Metadata key of {@link RequireRole}. */
export const REQUIRED_ROLE = 'beacon:required-role';
/** Metadata key of {@link Public}. */
export const PUBLIC_ENDPOINT = 'beacon:public';

/**
 * The weakest role that may call this handler (or every handler of a controller). Without it, GET and HEAD need
 * `viewer` and every other method needs `admin`, so a new mutating endpoint is closed until it says who may call it.
 */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/** Callable without a token (health checks). */
export const Public = () => SetMetadata(PUBLIC_ENDPOINT, true);

/** Metadata key of {@link PublicIf}. */
export const PUBLIC_IF = 'beacon:public-if';

/** Callable without a token when the configuration says so (the transparency log's `publicRead`). */
export const PublicIf = (open: (config: BeaconConfig) => boolean) => SetMetadata(PUBLIC_IF, open);
