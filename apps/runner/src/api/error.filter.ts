import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { databaseFault } from '@beacon/db';
import { ApiError } from './api-error.js';

/** Seconds a client is told to wait when the database is down or slow (an embedded server restarts in a few). */
const DATABASE_RETRY_AFTER_S = '5';

/** Every error leaves as JSON `{error, message[, problems]}`; unexpected ones are logged and become a plain 500. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    // An answer already under way (a stream, or one written by the parser's error handler) cannot become an error
    // answer: end it instead of throwing ERR_HTTP_HEADERS_SENT from here.
    if (res.headersSent || res.writableEnded || res.destroyed) {
      if (!(exception instanceof HttpException))
        this.log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      if (!res.writableEnded) res.end();
      return;
    }
    if (exception instanceof ApiError) {
      for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const bodyMessage = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      const message = typeof bodyMessage === 'string' ? bodyMessage : exception.message;
      res.status(status).json({ error: status === 404 ? 'not_found' : 'http_error', message });
      return;
    }
    // The database being down, restarting or too slow is not a bug of this request: 503, try again shortly.
    const fault = databaseFault(exception);
    if (fault) {
      this.log.warn(`database ${fault}: ${exception instanceof Error ? exception.message : String(exception)}`);
      res.setHeader('retry-after', DATABASE_RETRY_AFTER_S);
      res
        .status(503)
        .json(
          fault === 'timeout'
            ? { error: 'database_timeout', message: 'the database did not answer in time; retry shortly' }
            : { error: 'database_unavailable', message: 'the database is unreachable right now (restarting or down); retry shortly' },
        );
      return;
    }
    this.log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    res.status(500).json({ error: 'internal', message: 'internal error; see the daemon log' });
  }
}
