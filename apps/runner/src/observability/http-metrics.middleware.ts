import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { BeaconMetrics } from '@beacon/observability';
import type { NextFunction, Request, Response } from 'express';
import { METRICS } from '../tokens.js';

/** Counts API requests and their duration by method, route template (not the raw path) and status. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(@Inject(METRICS) private readonly m: BeaconMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const end = this.m.httpDuration.startTimer();
    res.on('finish', () => {
      const route = routeOf(req);
      const status = String(res.statusCode);
      end({ method: req.method, route, status });
      this.m.httpRequests.inc({ method: req.method, route, status });
    });
    next();
  }
}

function routeOf(req: Request): string {
  const path = (req.route as { path?: string } | undefined)?.path;
  if (path) return `${req.baseUrl ?? ''}${path}`;
  return 'unmatched';
}
