import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';

/** The ids the next span started by the tracer must take, or null for random ones. */
let primed: { traceId: string; spanId: string; spanUsed: boolean } | null = null;
/** True once a tracer provider was built with {@link ExecutionIdGenerator}: only then can execution spans be emitted. */
let installed = false;

/**
 * Random ids, except for the one span started inside {@link withIds}: that span takes the ids given. Beacon's execution
 * span must have the span id every attempt of the execution already names as its parent (derived from the execution's
 * trace id, stored when the job was planned), and the OpenTelemetry API has no other way to choose a span's ids.
 * `startSpan` is synchronous, so nothing else can start a span in between.
 */
export class ExecutionIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();

  constructor() {
    installed = true;
  }

  generateTraceId(): string {
    return primed?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    if (primed && !primed.spanUsed) {
      primed.spanUsed = true;
      return primed.spanId;
    }
    return this.random.generateSpanId();
  }
}

/** Whether a tracer provider with {@link ExecutionIdGenerator} exists in this process. */
export function executionIdsInstalled(): boolean {
  return installed;
}

/** Runs `start` (which must start exactly one root span) with the given ids primed for it. */
export function withIds<T>(traceId: string, spanId: string, start: () => T): T {
  primed = { traceId, spanId, spanUsed: false };
  try {
    return start();
  } finally {
    primed = null;
  }
}
