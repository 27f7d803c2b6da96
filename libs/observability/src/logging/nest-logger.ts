import type { Logger } from 'pino';

/** The subset of Nest's LoggerService that Nest calls; kept structural so this lib does not import Nest. */
export interface NestLoggerLike {
  log(message: unknown, ...rest: unknown[]): void;
  error(message: unknown, ...rest: unknown[]): void;
  warn(message: unknown, ...rest: unknown[]): void;
  debug(message: unknown, ...rest: unknown[]): void;
  verbose(message: unknown, ...rest: unknown[]): void;
}

/** Nest's start-up chatter (modules loaded, routes mapped): debug, not info. */
const BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Routes Nest's own log calls (context as the last string argument) into the pino logger. */
export function nestLogger(log: Logger): NestLoggerLike {
  const write =
    (level: 'info' | 'error' | 'warn' | 'debug' | 'trace') =>
    (message: unknown, ...rest: unknown[]) => {
      const context = typeof rest[rest.length - 1] === 'string' ? String(rest.pop()) : undefined;
      if (level === 'info' && context && BOOT_CONTEXTS.has(context)) level = 'debug';
      const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
      log[level]({ context, ...(stack ? { stack } : {}) }, typeof message === 'string' ? message : JSON.stringify(message));
    };
  return { log: write('info'), error: write('error'), warn: write('warn'), debug: write('debug'), verbose: write('trace') };
}
