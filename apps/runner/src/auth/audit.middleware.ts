import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { escapeControlChars } from '@beacon/domain';
import { MALFORMED_RESPONSES } from '../api/client-error.js';
import { READ_METHODS } from '../api/http-methods.js';
import { AuditService } from './audit.service.js';
import { securityOf } from './request-context.js';

const MAX_PATH = 2048;
const MAX_TARGET = 256;

/** Text fit for an audit row: control characters (PostgreSQL text cannot hold U+0000) escaped, length bounded. */
const storable = escapeControlChars;

/**
 * Records every mutating call (any method but GET, HEAD and OPTIONS) in `audit_log` once its response is sent:
 * who (token name and role, or `anonymous` when refused before a token was recognised), what (method, path, target
 * id), the status and error code (499 when the client left first), and from where (the socket's peer address; forwarded-for headers are not trusted).
 */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
  private readonly log = new Logger('audit');

  constructor(private readonly audit: AuditService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (READ_METHODS.has(req.method)) return next();
    let errorCode: string | null = null;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 400 && body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') {
        errorCode = (body as { error: string }).error;
      }
      return json(body);
    };
    const path = storable(req.originalUrl.split('?')[0]!, MAX_PATH);
    // Read now: once a request is destroyed (a body cut short, a client gone) its socket is no longer reachable.
    const remoteAddress = req.socket?.remoteAddress ?? null;
    // 'close' fires for every request, also when the client went away before the answer (recorded as 499).
    res.on('close', () => {
      try {
        const ctx = securityOf(req);
        const target = ctx.target ?? targetFromLocation(res.getHeader('location'));
        const malformed = MALFORMED_RESPONSES.has(res);
        this.audit.record({
          principal: ctx.principal?.name ?? 'anonymous',
          role: ctx.principal?.role ?? null,
          method: req.method,
          path,
          targetId: target === null ? null : storable(target, MAX_TARGET),
          status: malformed ? 400 : res.writableFinished ? res.statusCode : 499,
          error: malformed ? 'malformed_request' : errorCode,
          remoteAddress,
        });
      } catch (err) {
        // An audit failure must never take the daemon down; the service logs write failures itself.
        this.log.error(`could not record the audit row for ${req.method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    next();
  }
}

function targetFromLocation(location: unknown): string | null {
  if (typeof location !== 'string') return null;
  const m = /\/api\/v1\/jobs\/([^/?]+)$/.exec(location);
  return m ? decodeURIComponent(m[1]!) : null;
}
