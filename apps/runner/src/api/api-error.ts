import { HttpException } from '@nestjs/common';
import type { ErrorView, Problem } from '@beacon/domain';

/** An HTTP error with Beacon's body shape: a code, a message, and (for rejected input) every problem with its path. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    code: string,
    message: string,
    problems?: Problem[],
    readonly headers: Record<string, string> = {},
  ) {
    const body: ErrorView = problems ? { error: code, message, problems } : { error: code, message };
    super(body, status);
  }
}

/** 400 for one bad query or path parameter. */
export function badParam(name: string, problem: string): ApiError {
  return new ApiError(400, 'invalid_parameter', `${name}: ${problem}`, [{ path: name, message: problem }]);
}
