import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AuditService } from './audit.service.js';
import { securityOf } from './request-context.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_PATH = 2048;

/**
 * Records every mutating call (any method but GET, HEAD and OPTIONS) in `audit_log` once its response is sent:
 * who (token name and role, or `anonymous` when refused before a token was recognised), what (method, path, target
 * id), the status and error code (499 when the client left first), and from where (the socket's peer address; forwarded-for headers are not trusted).
 */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
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
    const path = req.originalUrl.split('?')[0]!.slice(0, MAX_PATH);
    // 'close' fires for every request, also when the client went away before the answer (recorded as 499).
    res.on('close', () => {
      const ctx = securityOf(req);
      this.audit.record({
        principal: ctx.principal?.name ?? 'anonymous',
        role: ctx.principal?.role ?? null,
        method: req.method,
        path,
        targetId: ctx.target ?? targetFromLocation(res.getHeader('location')),
        status: res.writableFinished ? res.statusCode : 499,
        error: errorCode,
        remoteAddress: req.socket.remoteAddress ?? null,
      });
    });
    next();
  }
}

function targetFromLocation(location: unknown): string | null {
  if (typeof location !== 'string') return null;
  const m = /\/api\/v1\/jobs\/([^/?]+)$/.exec(location);
  return m ? decodeURIComponent(m[1]!) : null;
}
