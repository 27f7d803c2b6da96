import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  defaultTextMapGetter,
  propagation,
  trace,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { redactSecrets } from '@beacon/domain';
import { executionIdsInstalled, withIds } from './execution-ids.js';
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
  /** The model the upstream says answered (`model` of the response), for `gen_ai.response.model`. */
  responseModel: string | null;
  errorType: string | null;
  response: string | null;
}

/** One attempt's span: the provider call runs inside it as a child client span. */
export interface AttemptSpan {
  /** The attempt span's id (stored on the attempt row), or null when tracing is off. */
  readonly spanId: string | null;
  call<T>(fn: () => Promise<T>, describe: (result: T) => CallSpanInfo): Promise<T>;
  /** Runs `fn` with the attempt span active: database writes (pg spans) and anything else it starts become children. */
  within<T>(fn: () => Promise<T>): Promise<T>;
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

/** Outcomes that are not errors: the attempt gave its cell back without calling (`deferred`) or unfinished (`released`). */
const NOT_ERRORS = new Set(['succeeded', 'deferred', 'released']);

/**
 * Attempt spans under the OpenTelemetry API. Every attempt of an execution is a child of the execution span, whose ids
 * are fixed when the job is planned (the execution's stored trace id and a span id derived from it), so attempts made
 * by different daemons, minutes apart, share one trace under one root.
 *
 * Why a real execution span rather than attempts as roots joined by links: the execution's trace id is already stored
 * (executions, attempts, exemplars, the TUI and the API show it), so one trace per execution keeps every one of those
 * pointers valid, and a backend shows an execution's retries together under one root. The root is emitted by the
 * runner that makes the execution's first attempt: it starts with that attempt and ends with it (later attempts, on
 * any runner, hang under it after it ended, as asynchronous follow-ups do). Its ids come from
 * {@link ExecutionIdGenerator}, which {@link startTracing} installs; with a tracer provider without it no execution
 * span is emitted (and attempts keep a parent that is never exported).
 *
 * With no SDK registered the API is a no-op and this costs next to nothing.
 */
export class AttemptTracing implements AttemptTracer {
  constructor(private readonly opts: AttemptTracingOptions = {}) {}

  begin(input: AttemptTraceInput): AttemptSpan {
    const tracer = this.opts.tracer ?? trace.getTracer('beacon');
    const links: Link[] = [];
    const submission = parseTraceparent(input.jobTraceparent);
    if (submission) links.push({ context: submission, attributes: { 'beacon.link': 'job_submission' } });
    const attributes = {
      [ATTR.jobId]: input.jobId,
      [ATTR.executionId]: input.executionId,
      [ATTR.region]: input.region,
      [ATTR.questionId]: input.questionId,
      [ATTR.modelId]: input.modelId,
    };
    const execution = input.attempt === 1 ? this.executionSpan(tracer, input, links, attributes) : null;
    const parent = execution
      ? trace.setSpan(context.active(), execution)
      : trace.setSpanContext(context.active(), {
          traceId: input.traceId,
          spanId: executionSpanId(input.traceId),
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        });
    const span = tracer.startSpan(
      `attempt ${input.region} ${input.modelId}`,
      {
        kind: SpanKind.INTERNAL,
        links,
        attributes: { ...attributes, [ATTR.attempt]: input.attempt, [ATTR.runnerId]: input.runnerId },
      },
      parent,
    );
    return new OtelAttemptSpan(span, execution, tracer, input, this.opts);
  }

  /** The execution's root span, with the ids its attempts name as parent; null when they cannot be had. */
  private executionSpan(tracer: Tracer, input: AttemptTraceInput, links: Link[], attributes: Record<string, string>): Span | null {
    if (!executionIdsInstalled()) return null;
    const spanId = executionSpanId(input.traceId);
    const span = withIds(input.traceId, spanId, () =>
      tracer.startSpan(
        `execution ${input.region} ${input.modelId}`,
        { root: true, kind: SpanKind.INTERNAL, links, attributes: { ...attributes, [ATTR.executionSpan]: true } },
        ROOT_CONTEXT,
      ),
    );
    const ctx = span.spanContext();
    // Not recording (sampled out, no SDK) or a provider without ExecutionIdGenerator: never ended, so never exported.
    if (!span.isRecording() || ctx.traceId !== input.traceId || ctx.spanId !== spanId) return null;
    return span;
  }
}

class OtelAttemptSpan implements AttemptSpan {
  readonly spanId: string | null;
  private ended = false;

  constructor(
    private readonly span: Span,
    private readonly execution: Span | null,
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
          ...(this.opts.captureContent
            ? {
                [ATTR.genAiSystemInstructions]: JSON.stringify([{ type: 'text', content: this.clip(req.system) }]),
                [ATTR.genAiInputMessages]: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: this.clip(req.user) }] }]),
              }
            : {}),
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
      if (info.responseModel) callSpan.setAttribute(ATTR.genAiResponseModel, info.responseModel);
      if (this.opts.captureContent && info.response !== null) {
        const message = {
          role: 'assistant',
          parts: [{ type: 'text', content: this.clip(info.response) }],
          finish_reason: info.finishReason ?? 'error',
        };
        callSpan.setAttribute(ATTR.genAiOutputMessages, JSON.stringify([message]));
      }
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

  within<T>(fn: () => Promise<T>): Promise<T> {
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  end(outcome: string, classification: string | null, error: string | null): void {
    if (this.ended) return;
    this.ended = true;
    this.span.setAttribute(ATTR.outcome, outcome);
    if (classification) this.span.setAttribute(ATTR.classification, classification);
    // `deferred` (breaker open, nothing called) and `released` (shutdown gave the cell back) are not errors: the status
    // stays unset and beacon.outcome says what happened.
    if (!NOT_ERRORS.has(outcome)) {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: redactSecrets(error ?? outcome) });
      this.span.setAttribute(ATTR.errorType, outcome);
    }
    this.span.end();
    if (this.execution) {
      this.execution.setAttribute(ATTR.outcome, outcome);
      this.execution.end();
    }
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

/** A span context as a W3C traceparent. */
export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-0${(ctx.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/**
 * Adds the active context's `traceparent` (and `tracestate`) to outgoing headers through the registered propagator, so
 * an upstream or gateway joins the caller's trace. Nothing is added when no SDK is running.
 */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

const w3c = new W3CTraceContextPropagator();

/**
 * The traceparent a request's work should link to: the server's own request span (the HTTP instrumentation started it
 * from the caller's `traceparent` through the propagator, so the caller's span is its parent), or, with no SDK running,
 * the caller's context as the W3C propagator extracts it (a malformed header gives null, never a copy of it).
 */
export function requestTraceparent(headers: Record<string, string | string[] | undefined>): string | null {
  const own = trace.getActiveSpan()?.spanContext();
  if (own && trace.isSpanContextValid(own)) return formatTraceparent(own);
  const caller = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
  return caller && trace.isSpanContextValid(caller) ? formatTraceparent(caller) : null;
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
