import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  type BeaconConfig,
  isLoopbackHost,
  LOCAL_PRINCIPAL,
  type Principal,
  type Role,
  roleAtLeast,
  type TokenRegistry,
} from '@beacon/domain';
import type { Request } from 'express';
import { ApiError } from '../api/api-error.js';
import { READ_METHODS } from '../api/http-methods.js';
import { discardBody } from '../api/read-body.js';
import { BEACON_CONFIG } from '../tokens.js';
import { securityOf } from './request-context.js';
import { PUBLIC_ENDPOINT, PUBLIC_IF, REQUIRED_ROLE } from './roles.decorator.js';
import { type FailedAuthLimiter, TurnGate, type TokenRateLimiter } from './auth-limits.js';
import { FAILED_AUTH_LIMITER, RATE_LIMITER, TOKEN_REGISTRY } from './security.tokens.js';

const CHALLENGE = 'Bearer realm="beacon"';

/**
 * The API's one gate, registered globally: authenticates the bearer token (or, on a daemon without tokens, admits
 * local requests only), checks the role the handler needs (declared with `@RequireRole`; `viewer` for reads, `admin`
 * for undeclared mutations), then the token's request rate. 401 means "who are you?", 403 "not allowed", 429 "slow down".
 *
 * A token is found without a slow hash whenever possible (see TokenRegistry); an address whose failed
 * authentications are over `limits.failedAuthPerMinutePerAddress` gets 429 before any unknown token it sends is hashed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Requests whose token may be a guess go through here, a few per event-loop turn (see TurnGate). */
  private readonly turns = new TurnGate();

  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
    @Inject(RATE_LIMITER) private readonly limiter: TokenRateLimiter,
    @Inject(FAILED_AUTH_LIMITER) private readonly failures: FailedAuthLimiter,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ENDPOINT, targets)) return true;
    if (this.reflector.getAllAndOverride<((c: BeaconConfig) => boolean) | undefined>(PUBLIC_IF, targets)?.(this.config)) return true;
    const ctx = securityOf(req);
    const id = req.params?.id;
    if (typeof id === 'string') ctx.target = id;
    try {
      const principal = await this.authenticate(req);
      ctx.principal = principal;
      const declared = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
      const needed: Role = declared ?? (READ_METHODS.has(req.method) ? 'viewer' : 'admin');
      if (!roleAtLeast(principal.role, needed)) {
        throw new ApiError(
          403,
          'forbidden',
          `${req.method} ${routeOf(req)} needs role ${needed}${declared ? '' : ' (it declares no role)'}; token "${principal.name}" has role ${principal.role}`,
          [{ path: 'authorization', message: `role ${needed} or above is required` }],
        );
      }
      if (principal.kind === 'token') await this.throttle(principal);
      return true;
    } catch (err) {
      if (!READ_METHODS.has(req.method)) await discardBody(req);
      throw err;
    }
  }

  private async authenticate(req: Request): Promise<Principal> {
    const header = req.headers.authorization;
    const address = req.socket?.remoteAddress ?? 'unknown';
    if (!this.tokens.enabled) {
      if (isLoopbackHost(address)) return LOCAL_PRINCIPAL;
      return this.failed(
        address,
        new ApiError(
          401,
          'unauthenticated',
          'this daemon has no API tokens configured, so it answers requests from this machine only',
          [{ path: 'authorization', message: 'configure auth.tokens on the daemon to allow remote clients' }],
          { 'www-authenticate': CHALLENGE },
        ),
      );
    }
    if (header === undefined || header === '') {
      return this.failed(
        address,
        new ApiError(
          401,
          'unauthenticated',
          'a bearer token is required: send Authorization: Bearer <token> (the CLI and TUI read BEACON_TOKEN)',
          [{ path: 'authorization', message: 'missing' }],
          { 'www-authenticate': CHALLENGE },
        ),
      );
    }
    const m = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i.exec(header);
    if (!m) {
      return this.failed(
        address,
        new ApiError(
          401,
          'invalid_token',
          'the Authorization header must be "Bearer <token>"',
          [{ path: 'authorization', message: 'not a bearer token' }],
          { 'www-authenticate': `${CHALLENGE}, error="invalid_request"` },
        ),
      );
    }
    const token = m[1]!;
    const found = this.tokens.lookup(token);
    if (found.kind === 'known') return found.principal;
    // From here the token may well be a guess: the address pays its failure allowance before any hashing (a point
    // per slow hash the token may cost, at least one), given back if the token turns out valid.
    const hashes = found.kind === 'slow' ? found.candidates.length : 0;
    await this.spend(address, hashes);
    if (found.kind === 'slow') {
      const verdict = await this.tokens.verify(token, found.candidates);
      if (verdict.kind === 'known') {
        await this.failures.succeeded(address, hashes);
        return verdict.principal;
      }
      if (verdict.kind === 'busy') {
        await this.failures.succeeded(address, hashes);
        throw new ApiError(
          429,
          'auth_busy',
          'too many token checks are waiting; retry in 1 s',
          [{ path: 'authorization', message: 'token checks busy' }],
          { 'retry-after': '1' },
        );
      }
    }
    throw new ApiError(
      401,
      'invalid_token',
      'the bearer token is not recognised (unknown, mistyped or removed from the configuration)',
      [{ path: 'authorization', message: 'unknown token' }],
      { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` },
    );
  }

  /**
   * Takes `hashes` points (at least one) of the address's failure allowance, or refuses with 429 once it is spent.
   * Waits its turn first: a burst of failing requests must not hold the event loop (see TurnGate).
   */
  private async spend(address: string, hashes: number): Promise<void> {
    await this.turns.pass();
    const attempt = await this.failures.attempt(address, hashes);
    if (attempt.allowed) return;
    throw new ApiError(
      429,
      'auth_rate_limited',
      `too many failed authentications from this address (more than ${this.failures.perMinute} a minute); retry in ${attempt.retryAfterSeconds} s`,
      [{ path: 'authorization', message: 'failed authentication limit reached' }],
      { 'retry-after': String(attempt.retryAfterSeconds) },
    );
  }

  /** A refusal that needed no hashing still counts against the address (each one is an audit row otherwise). */
  private async failed(address: string, refusal: ApiError): Promise<never> {
    await this.spend(address, 1);
    throw refusal;
  }

  private async throttle(principal: Principal): Promise<void> {
    const d = await this.limiter.take(principal.name);
    if (d.allowed) return;
    throw new ApiError(
      429,
      'rate_limited',
      `token "${principal.name}" made more than ${this.config.limits.requestsPerMinutePerToken} requests in a minute; retry in ${d.retryAfterSeconds} s`,
      [{ path: 'authorization', message: 'request rate limit reached' }],
      { 'retry-after': String(d.retryAfterSeconds) },
    );
  }
}

function routeOf(req: Request): string {
  const path = (req.route as { path?: string } | undefined)?.path;
  return path ? `${req.baseUrl ?? ''}${path}` : req.path;
}
