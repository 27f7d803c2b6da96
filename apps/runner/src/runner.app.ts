import 'reflect-metadata';
import { type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RunnerModule, type RunnerModuleOptions } from './runner.module.js';
import { guardConnections } from './api/connection-guard.js';

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
  guardConnections(app.getHttpServer(), opts.config.limits.maxConnections);
  return app;
}
