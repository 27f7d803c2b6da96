import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  type BeaconConfig, isLoopbackHost, LOCAL_PRINCIPAL, type Principal, type RateLimiter, type Role, roleAtLeast, type TokenRegistry,
} from '@beacon/domain';
import type { Request } from 'express';
import { ApiError } from '../api/api-error.js';
import { discardBody } from '../api/read-body.js';
import { BEACON_CONFIG } from '../tokens.js';
import { securityOf } from './request-context.js';
import { PUBLIC_ENDPOINT, REQUIRED_ROLE } from './roles.decorator.js';
import { RATE_LIMITER, TOKEN_REGISTRY } from './security.tokens.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CHALLENGE = 'Bearer realm="beacon"';

/**
 * The API's one gate, registered globally: authenticates the bearer token (or, on a daemon without tokens, admits
 * local requests only), checks the role the handler needs (declared with `@RequireRole`; `viewer` for reads, `admin`
 * for undeclared mutations), then the token's request rate. 401 means "who are you?", 403 "not allowed", 429 "slow down".
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ENDPOINT, targets)) return true;
    const ctx = securityOf(req);
    const id = req.params?.id;
    if (typeof id === 'string') ctx.target = id;
    try {
      const principal = this.authenticate(req);
      ctx.principal = principal;
      const declared = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
      const needed: Role = declared ?? (READ_METHODS.has(req.method) ? 'viewer' : 'admin');
      if (!roleAtLeast(principal.role, needed)) {
        throw new ApiError(403, 'forbidden',
          `${req.method} ${routeOf(req)} needs role ${needed}${declared ? '' : ' (it declares no role)'}; token "${principal.name}" has role ${principal.role}`,
          [{ path: 'authorization', message: `role ${needed} or above is required` }]);
      }
      if (principal.kind === 'token') this.throttle(principal);
      return true;
    } catch (err) {
      if (!READ_METHODS.has(req.method)) await discardBody(req);
      throw err;
    }
  }

  private authenticate(req: Request): Principal {
    const header = req.headers.authorization;
    if (!this.tokens.enabled) {
      const remote = req.socket.remoteAddress ?? '';
      if (isLoopbackHost(remote)) return LOCAL_PRINCIPAL;
      throw new ApiError(401, 'unauthenticated',
        'this daemon has no API tokens configured, so it answers requests from this machine only',
        [{ path: 'authorization', message: 'configure auth.tokens on the daemon to allow remote clients' }], { 'www-authenticate': CHALLENGE });
    }
    if (header === undefined || header === '') {
      throw new ApiError(401, 'unauthenticated',
        'a bearer token is required: send Authorization: Bearer <token> (the CLI and TUI read BEACON_TOKEN)',
        [{ path: 'authorization', message: 'missing' }], { 'www-authenticate': CHALLENGE });
    }
    const m = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i.exec(header);
    if (!m) {
      throw new ApiError(401, 'invalid_token', 'the Authorization header must be "Bearer <token>"',
        [{ path: 'authorization', message: 'not a bearer token' }], { 'www-authenticate': `${CHALLENGE}, error="invalid_request"` });
    }
    const principal = this.tokens.authenticate(m[1]!);
    if (!principal) {
      throw new ApiError(401, 'invalid_token', 'the bearer token is not recognised (unknown, mistyped or removed from the configuration)',
        [{ path: 'authorization', message: 'unknown token' }], { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` });
    }
    return principal;
  }

  private throttle(principal: Principal): void {
    const d = this.limiter.take(principal.name);
    if (d.allowed) return;
    throw new ApiError(429, 'rate_limited',
      `token "${principal.name}" made more than ${this.config.limits.requestsPerMinutePerToken} requests in a minute; retry in ${d.retryAfterSeconds} s`,
      [{ path: 'authorization', message: 'request rate limit reached' }], { 'retry-after': String(d.retryAfterSeconds) });
  }
}

function routeOf(req: Request): string {
  const path = (req.route as { path?: string } | undefined)?.path;
  return path ? `${req.baseUrl ?? ''}${path}` : req.path;
}
