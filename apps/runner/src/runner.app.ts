import 'reflect-metadata';
import { type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { BeaconConfig } from '@beacon/domain';
import type { Application, NextFunction, Request, Response } from 'express';
import { RunnerModule, type RunnerModuleOptions } from './runner.module.js';
import { guardConnections } from './api/connection-guard.js';
import { AuditMiddleware } from './auth/audit.middleware.js';
import { AuditService } from './auth/audit.service.js';
import { clientErrorHandler, rememberRequest } from './api/client-error.js';
import { EdgeMiddleware } from './api/edge.middleware.js';
import { viewerAssets } from './viewer/viewer-assets.js';
import { BEACON_CONFIG } from './tokens.js';

/** Options for building the daemon's Nest application. */
export interface RunnerAppOptions extends RunnerModuleOptions {
  /** Nest log levels, or false for silence (tests). */
  logger?: LogLevel[] | LoggerService | false;
}

/**
 * Builds (but does not start listening) the runner application. Body parsing is off: the job endpoint reads the
 * raw body itself so that size, content type and JSON errors each get their own clear 400.
 */
export async function createRunnerApp(opts: RunnerAppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(RunnerModule.forRoot(opts), {
    bodyParser: false,
    logger: opts.logger ?? ['error', 'warn'],
    abortOnError: false,
  });
  // No ETags: Express computes one on the body a controller wrote, before the answer middleware hides the secrets in
  // it, and answers 304 when If-None-Match equals it, so a client could test guesses of a hidden value (an oracle).
  // API answers are live state, not cacheable documents.
  (app.getHttpAdapter().getInstance() as Application).set('etag', false);
  // The audit and the edge checks (Host, Origin, content type) run before Express matches any route: a request whose
  // path cannot even be decoded (`/api/v1/jobs/%zz`) never reaches route-bound middleware, and must still be checked
  // and audited. The audit goes first so that the edge's refusals are audited too.
  const audit = app.get(AuditService);
  const auditing = new AuditMiddleware(audit);
  const edge = new EdgeMiddleware(app.get<BeaconConfig>(BEACON_CONFIG));
  app.use((req: Request, res: Response, next: NextFunction) => {
    rememberRequest(req);
    auditing.use(req, res, next);
  });
  app.use((req: Request, res: Response, next: NextFunction) => edge.use(req, res, next));
  // The web viewer's page and files, behind the same Host and Origin checks as the API (a re-pointed name gets nothing).
  app.use(viewerAssets());
  (app.getHttpServer() as Server).on('clientError', clientErrorHandler(audit));
  guardConnections(app.getHttpServer(), opts.config.limits.maxConnections);
  return app;
}
