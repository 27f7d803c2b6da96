import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type BeaconConfig, TokenRegistry } from '@beacon/domain';
import { DataSource } from 'typeorm';
import { BEACON_CONFIG } from '../tokens.js';
import { AuditService } from './audit.service.js';
import { FailedAuthLimiter, TokenRateLimiter } from './auth-limits.js';
import { AuthGuard } from './auth.guard.js';
import { NonceCleanupService } from './nonce-cleanup.service.js';
import { FAILED_AUTH_LIMITER, RATE_LIMITER, TOKEN_REGISTRY } from './security.tokens.js';

/**
 * Authentication, authorisation and rate limits (the guard, global), the audit log and nonce cleanup. The audit
 * middleware and the edge checks are installed by createRunnerApp, before routing; they use the exported AuditService.
 */
@Module({
  providers: [
    { provide: TOKEN_REGISTRY, useFactory: (c: BeaconConfig) => new TokenRegistry(c.auth?.tokens ?? []), inject: [BEACON_CONFIG] },
    {
      provide: RATE_LIMITER,
      inject: [BEACON_CONFIG, DataSource],
      useFactory: (c: BeaconConfig, ds: DataSource) => new TokenRateLimiter(ds, c.limits.requestsPerMinutePerToken ?? 1200),
    },
    {
      provide: FAILED_AUTH_LIMITER,
      useFactory: (c: BeaconConfig) => new FailedAuthLimiter(c.limits.failedAuthPerMinutePerAddress ?? 30),
      inject: [BEACON_CONFIG],
    },
    { provide: APP_GUARD, useClass: AuthGuard },
    AuditService,
    NonceCleanupService,
  ],
  exports: [AuditService],
})
export class AuthModule {}
