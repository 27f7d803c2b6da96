import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type BeaconConfig, TokenRegistry } from '@beacon/domain';
import { SecurityRepository } from '@beacon/db';
import { DataSource } from 'typeorm';
import { BEACON_CONFIG } from '../tokens.js';
import { AuditService } from './audit.service.js';
import { FailedAuthLimiter, TokenRateLimiter } from './auth-limits.js';
import { AuthGuard } from './auth.guard.js';
import { NonceCleanupService } from './nonce-cleanup.service.js';
import { FAILED_AUTH_LIMITER, RATE_LIMITER, SECURITY_REPOSITORY, TOKEN_REGISTRY } from './security.tokens.js';

/** Authentication, authorisation, rate limits, the audit log and nonce cleanup; the guard is global. */
export const SECURITY_PROVIDERS: Provider[] = [
  { provide: TOKEN_REGISTRY, useFactory: (c: BeaconConfig) => new TokenRegistry(c.auth?.tokens ?? []), inject: [BEACON_CONFIG] },
  {
    provide: RATE_LIMITER, inject: [BEACON_CONFIG, DataSource],
    useFactory: (c: BeaconConfig, ds: DataSource) => new TokenRateLimiter(ds, c.limits.requestsPerMinutePerToken ?? 1200),
  },
  { provide: FAILED_AUTH_LIMITER, useFactory: (c: BeaconConfig) => new FailedAuthLimiter(c.limits.failedAuthPerMinutePerAddress ?? 30), inject: [BEACON_CONFIG] },
  { provide: SECURITY_REPOSITORY, useFactory: (ds: DataSource) => new SecurityRepository(ds), inject: [DataSource] },
  { provide: APP_GUARD, useClass: AuthGuard },
  AuditService,
  NonceCleanupService,
];
