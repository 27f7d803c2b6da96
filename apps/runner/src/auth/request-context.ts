import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '@beacon/domain';
import type { Request } from 'express';

/** What authentication learned about a request, for the controllers and the audit log. */
export interface SecurityContext {
  principal?: Principal;
  /** The object the call is about (a job id), when the route parameters do not say. */
  target?: string;
}

const CONTEXT = new WeakMap<Request, SecurityContext>();

/** The security context of `req`, created empty on first use. */
export function securityOf(req: Request): SecurityContext {
  let ctx = CONTEXT.get(req);
  if (!ctx) CONTEXT.set(req, (ctx = {}));
  return ctx;
}

/** The authenticated principal of a request (set by the guard before any handler runs). */
export function principalOf(req: Request): Principal {
  const p = securityOf(req).principal;
  if (!p) throw new Error('no principal on the request: is AuthGuard registered as APP_GUARD?');
  return p;
}

/** Handler parameter: who made the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal =>
  principalOf(ctx.switchToHttp().getRequest<Request>()),
);
