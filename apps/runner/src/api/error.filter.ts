import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ApiError } from './api-error.js';

/** Every error leaves as JSON `{error, message[, problems]}`; unexpected ones are logged and become a plain 500. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ApiError) {
      for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
      res.status(status).json({ error: status === 404 ? 'not_found' : 'http_error', message });
      return;
    }
    this.log.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    res.status(500).json({ error: 'internal', message: 'internal error; see the daemon log' });
  }
}
