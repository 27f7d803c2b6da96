import { SpanKind, SpanStatusCode, TraceFlags, context, trace, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { redactSecrets } from '@beacon/domain';
import { ATTR } from './semconv.js';

/** What an attempt span is about. */
export interface AttemptTraceInput {
  /** The execution's trace id, fixed when the cell was planned. */
  traceId: string;
  executionId: string;
  jobId: string;
  region: string;
  questionId: string;
  modelId: string;
  attempt: number;
  runnerId: string;
  /** W3C traceparent of the job submission, linked from every attempt. */
  jobTraceparent: string | null;
  request: { providerName: string; model: string; baseUrl: string; temperature: number; maxTokens: number; system: string; user: string };
}

/** What the provider call returned, for the call span. */
export interface CallSpanInfo {
  httpStatus: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  finishReason: string | null;
  responseId: string | null;
  errorType: string | null;
  response: string | null;
}

/** One attempt's span: the provider call runs inside it as a child client span. */
export interface AttemptSpan {
  /** The attempt span's id (stored on the attempt row), or null when tracing is off. */
  readonly spanId: string | null;
  call<T>(fn: () => Promise<T>, describe: (result: T) => CallSpanInfo): Promise<T>;
  end(outcome: string, classification: string | null, error: string | null): void;
}

/** Starts attempt spans; every attempt of an execution, on whatever runner, joins the execution's trace. */
export interface AttemptTracer {
  begin(input: AttemptTraceInput): AttemptSpan;
}

/** Settings for attempt tracing. */
export interface AttemptTracingOptions {
  /** Record prompts and responses on spans (truncated); off by default. */
  captureContent?: boolean;
  /** Characters kept of each recorded text. */
  maxContentChars?: number;
  tracer?: Tracer;
}

/**
 * Attempt spans under the OpenTelemetry API. The parent is a remote span context built from the execution's stored
 * trace id and a span id derived from it, so attempts made by different daemons, minutes apart, share one trace.
 * With no SDK registered the API is a no-op and this costs next to nothing.
 */
export class AttemptTracing implements AttemptTracer {
  constructor(private readonly opts: AttemptTracingOptions = {}) {}

  begin(input: AttemptTraceInput): AttemptSpan {
    const tracer = this.opts.tracer ?? trace.getTracer('beacon');
    const parent = trace.setSpanContext(context.active(), {
      traceId: input.traceId,
      spanId: executionSpanId(input.traceId),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const links: Link[] = [];
    const submission = parseTraceparent(input.jobTraceparent);
    if (submission) links.push({ context: submission, attributes: { 'beacon.link': 'job_submission' } });
    const span = tracer.startSpan(
      `attempt ${input.region} ${input.modelId}`,
      {
        kind: SpanKind.INTERNAL,
        links,
        attributes: {
          [ATTR.jobId]: input.jobId,
          [ATTR.executionId]: input.executionId,
          [ATTR.region]: input.region,
          [ATTR.questionId]: input.questionId,
          [ATTR.modelId]: input.modelId,
          [ATTR.attempt]: input.attempt,
          [ATTR.runnerId]: input.runnerId,
        },
      },
      parent,
    );
    return new OtelAttemptSpan(span, tracer, input, this.opts);
  }
}

class OtelAttemptSpan implements AttemptSpan {
  readonly spanId: string | null;
  private ended = false;

  constructor(
    private readonly span: Span,
    private readonly tracer: Tracer,
    private readonly input: AttemptTraceInput,
    private readonly opts: AttemptTracingOptions,
  ) {
    const ctx = span.spanContext();
    this.spanId = trace.isSpanContextValid(ctx) ? ctx.spanId : null;
  }

  async call<T>(fn: () => Promise<T>, describe: (result: T) => CallSpanInfo): Promise<T> {
    const req = this.input.request;
    const url = safeUrl(req.baseUrl);
    const attemptCtx = trace.setSpan(context.active(), this.span);
    const callSpan = this.tracer.startSpan(
      `chat ${req.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.genAiOperationName]: 'chat',
          [ATTR.genAiProviderName]: req.providerName,
          [ATTR.genAiRequestModel]: req.model,
          [ATTR.genAiRequestTemperature]: req.temperature,
          [ATTR.genAiRequestMaxTokens]: req.maxTokens,
          ...(url
            ? { [ATTR.serverAddress]: url.hostname, [ATTR.serverPort]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) }
            : {}),
          ...(this.opts.captureContent ? { [ATTR.promptSystem]: this.clip(req.system), [ATTR.promptUser]: this.clip(req.user) } : {}),
        },
      },
      attemptCtx,
    );
    try {
      const result = await context.with(trace.setSpan(attemptCtx, callSpan), fn);
      const info = describe(result);
      if (info.httpStatus !== null) callSpan.setAttribute(ATTR.httpResponseStatusCode, info.httpStatus);
      if (info.inputTokens !== null) callSpan.setAttribute(ATTR.genAiUsageInputTokens, info.inputTokens);
      if (info.outputTokens !== null) callSpan.setAttribute(ATTR.genAiUsageOutputTokens, info.outputTokens);
      if (info.finishReason) callSpan.setAttribute(ATTR.genAiResponseFinishReasons, [info.finishReason]);
      if (info.responseId) callSpan.setAttribute(ATTR.genAiResponseId, redactSecrets(info.responseId));
      if (this.opts.captureContent && info.response) callSpan.setAttribute(ATTR.response, this.clip(info.response));
      if (info.errorType) {
        callSpan.setAttribute(ATTR.errorType, info.errorType);
        callSpan.setStatus({ code: SpanStatusCode.ERROR, message: info.errorType });
      }
      return result;
    } catch (err) {
      callSpan.setAttribute(ATTR.errorType, err instanceof Error ? err.name : 'error');
      callSpan.setStatus({ code: SpanStatusCode.ERROR, message: redactSecrets(err instanceof Error ? err.message : String(err)) });
      throw err;
    } finally {
      callSpan.end();
    }
  }

  end(outcome: string, classification: string | null, error: string | null): void {
    if (this.ended) return;
    this.ended = true;
    this.span.setAttribute(ATTR.outcome, outcome);
    if (classification) this.span.setAttribute(ATTR.classification, classification);
    if (outcome !== 'succeeded') {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: redactSecrets(error ?? outcome) });
      this.span.setAttribute(ATTR.errorType, outcome);
    }
    this.span.end();
  }

  /** Recorded text: secrets hidden first, then clipped (clipping first could leave the start of a key). */
  private clip(raw: string): string {
    const text = redactSecrets(raw);
    const max = this.opts.maxContentChars ?? 1000;
    return text.length > max ? `${text.slice(0, max)}…` : text;
  }
}

/** The span id every attempt of an execution hangs under: derived from the trace id, so any runner computes it. */
export function executionSpanId(traceId: string): string {
  const id = traceId.slice(16);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

/** A W3C traceparent as a span context, or null. */
export function parseTraceparent(tp: string | null | undefined) {
  const m = tp?.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/);
  if (!m) return null;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
}

function safeUrl(u: string): URL | null {
  try {
    return new URL(u);
  } catch {
    return null;
  }
}
