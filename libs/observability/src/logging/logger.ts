import { trace } from '@opentelemetry/api';
import { redactSecrets } from '@beacon/domain';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Options for the process logger. */
export interface LoggerSettings {
  /** pino level (default BEACON_LOG_LEVEL or info). */
  level?: string;
  /** Human-readable lines instead of JSON (default: when stderr is a terminal and BEACON_LOG_FORMAT is not json). */
  pretty?: boolean;
  /** Where lines go (default stderr, so stdout stays for command output). */
  destination?: NodeJS.WritableStream;
  /** Fields on every line, e.g. the runner id. */
  base?: Record<string, unknown>;
}

/**
 * The process logger: JSON lines with `trace_id` and `span_id` of the active span, readable colour-free lines on a
 * terminal, every known secret replaced by `[REDACTED]`. Fields name the execution (`execution_id`, `job_id`) where a line is about one.
 */
export function createLogger(settings: LoggerSettings = {}, env: NodeJS.ProcessEnv = process.env): Logger {
  const destination = settings.destination ?? process.stderr;
  const pretty = settings.pretty ?? (env.BEACON_LOG_FORMAT !== 'json' && Boolean((destination as { isTTY?: boolean }).isTTY));
  const options: LoggerOptions = {
    level: settings.level ?? env.BEACON_LOG_LEVEL ?? 'info',
    base: { service: 'beacon', ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Every line, whatever field or message carries it, leaves with its secrets hidden: the serialised line is the
    // one place that sees them all (pino's path-based `redact` cannot know where an echoed key will be).
    hooks: { streamWrite: redactSecrets },
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx && trace.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  };
  if (!pretty) return pino(options, destination as pino.DestinationStream);
  return pino(
    options,
    pino.transport({
      target: 'pino-pretty',
      options: {
        destination: 2,
        colorize: !env.NO_COLOR && Boolean((destination as { isTTY?: boolean }).isTTY),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
      },
    }),
  );
}

export type { Logger };
