import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type BeaconConfig, RateLimiter, TokenRegistry } from '@beacon/domain';
import { SecurityRepository } from '@beacon/db';
import { DataSource } from 'typeorm';
import { BEACON_CONFIG } from '../tokens.js';
import { AuditService } from './audit.service.js';
import { AuthGuard } from './auth.guard.js';
import { NonceCleanupService } from './nonce-cleanup.service.js';
import { RATE_LIMITER, SECURITY_REPOSITORY, TOKEN_REGISTRY } from './security.tokens.js';

/** Authentication, authorisation, rate limits, the audit log and nonce cleanup; the guard is global. */
export const SECURITY_PROVIDERS: Provider[] = [
  { provide: TOKEN_REGISTRY, useFactory: (c: BeaconConfig) => new TokenRegistry(c.auth?.tokens ?? []), inject: [BEACON_CONFIG] },
  { provide: RATE_LIMITER, useFactory: (c: BeaconConfig) => new RateLimiter(c.limits.requestsPerMinutePerToken ?? 1200), inject: [BEACON_CONFIG] },
  { provide: SECURITY_REPOSITORY, useFactory: (ds: DataSource) => new SecurityRepository(ds), inject: [DataSource] },
  { provide: APP_GUARD, useClass: AuthGuard },
  AuditService,
  NonceCleanupService,
];
