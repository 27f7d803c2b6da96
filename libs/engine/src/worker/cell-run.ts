import {
  type AttemptOutcome,
  callCost,
  classifyFailure,
  priceOf,
  decideAfterFailure,
  type CallFailure,
  type ProviderConfig,
  type NormalisedJobSpec,
  type RegionModelKey,
  regionModelKey,
} from '@beacon/domain';
import { classifyResponse } from '@beacon/classifier';
import { isDataError, type AttemptStart, type CallRecord, type ClaimedCell, type QueueRepository, type ServedBy } from '@beacon/db';
import type { AttemptSpan, CallSpanInfo } from '@beacon/observability';
import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import type { ChatFailure, ChatProvider, ChatSuccess } from '../provider/chat-provider.js';
import { renderCell } from './render-cell.js';
import type { AttemptCellState, EngineListener, FailureKind } from './engine.events.js';
import type { EngineOptions } from './engine.options.js';
import type { KeyGuard } from './key-guard.js';

/** Thrown inside the breaker so that it counts a health failure; carries the call's result out. */
class HealthFailure extends Error {
  constructor(readonly result: ChatFailure) {
    super(result.failure.message);
  }
}

/** Health failures open the breaker: the endpoint is struggling (network, timeout, 408/425/429/5xx/529). */
function isHealthFailure(f: CallFailure): boolean {
  return f.kind !== 'aborted' && classifyFailure(f) === 'retryable';
}

/** The call span's view of a provider answer. */
function describeCall(r: ChatSuccess | ChatFailure): CallSpanInfo {
  if (r.ok) {
    return {
      httpStatus: r.status,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      finishReason: r.finishReason,
      responseId: r.requestId,
      responseModel: r.responseModel ?? null,
      errorType: null,
      response: r.content,
    };
  }
  const errorType = r.failure.kind === 'http' ? String(r.failure.status ?? 'http') : r.failure.kind;
  return {
    httpStatus: r.status,
    inputTokens: null,
    outputTokens: null,
    finishReason: null,
    responseId: r.requestId,
    responseModel: null,
    errorType,
    response: null,
  };
}

/** Milliseconds as seconds for a message: `100000 s`, `1.5 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** A bounded label for why a call failed. */
function failureKindOf(f: CallFailure): FailureKind {
  if (f.kind !== 'http') return f.kind;
  if (f.status === 429) return 'http_429';
  return f.status !== undefined && f.status >= 500 ? 'http_5xx' : 'http_4xx';
}

/** One claimed cell: render, call once, record the outcome fenced by the lease. */
export class CellRun {
  readonly key: RegionModelKey;
  /** The attempt row written for this call, once the engine has written it. */
  attemptId: string | null = null;
  private callEnded: () => void = () => undefined;
  private failureKind: string | null = null;
  private readonly rendered: ReturnType<typeof renderCell>;

  constructor(
    readonly cell: ClaimedCell,
    private readonly spec: NormalisedJobSpec,
    private readonly jobTraceparent: string | null,
    private readonly opts: EngineOptions,
    private readonly queue: QueueRepository,
    private readonly provider: ChatProvider,
    private readonly guard: KeyGuard,
    private readonly emit: EngineListener,
  ) {
    this.key = regionModelKey(cell.region, cell.modelId);
    this.rendered = renderCell(cell, spec);
  }

  /** The attempt span, started when the attempt row is written so its span id is stored with it. */
  private span: AttemptSpan | null = null;

  private startSpan(): AttemptSpan {
    this.span ??= this.opts.tracer.begin({
      traceId: this.cell.traceId,
      executionId: this.cell.id,
      jobId: this.cell.jobId,
      region: this.cell.region,
      questionId: this.cell.questionId,
      modelId: this.cell.modelId,
      attempt: this.cell.attempt,
      runnerId: this.opts.runnerId,
      jobTraceparent: this.jobTraceparent,
      request: {
        providerName: this.step.provider.kind,
        model: String(this.rendered.parameters.model),
        baseUrl: this.step.provider.baseUrl,
        temperature: this.spec.parameters.temperature,
        maxTokens: this.spec.parameters.maxTokens,
        system: this.rendered.system,
        user: this.rendered.user,
      },
    });
    return this.span;
  }

  /** The audit row written before the call. */
  attemptStart(): AttemptStart {
    return {
      cell: this.cell,
      runnerId: this.opts.runnerId,
      systemPrompt: this.rendered.system,
      userPrompt: this.rendered.user,
      parameters: this.rendered.parameters,
      promptHash: this.rendered.promptHash,
      parametersHash: this.rendered.parametersHash,
      endpoint: this.step.provider.baseUrl,
      spanId: this.startSpan().spanId,
    };
  }

  private get region() {
    const region = this.opts.config.regions[this.cell.region];
    if (!region) throw new Error(`region ${this.cell.region} is not configured`);
    return region;
  }

  private stepCache: ServingStep | null = null;

  /**
   * Who makes this attempt's call: the cell's region's provider, or after retryable failures the next step of its
   * fallback chain (attempt n after n failures takes step n modulo the chain, so the primary is tried again after the
   * last fallback). A step in another region is in the chain only when the spec allows it (`allow_region_fallback`):
   * without that permission a cell is never answered from elsewhere. The system prompt stays the cell's region's;
   * the attempt records the region and provider that served it.
   */
  private get step(): ServingStep {
    if (this.stepCache) return this.stepCache;
    const region = this.region;
    const own = (provider: ProviderConfig): ServingStep => ({ regionId: region.id, provider, timeoutMs: region.timeoutMs });
    // The region's baseUrl and apiKeyEnv are the ones in force (the parser mirrors the provider's into them, and a
    // caller that points a region elsewhere, as the demo does at its simulator, sets the region's).
    const chain: ServingStep[] = [own({ ...region.provider, baseUrl: region.baseUrl, apiKeyEnv: region.apiKeyEnv })];
    for (const f of region.fallbacks) {
      if (f.kind === 'provider') chain.push(own(f.provider));
      else if (this.spec.constraints.allowRegionFallback === true) {
        const other = this.opts.config.regions[f.region];
        if (other) {
          chain.push({
            regionId: other.id,
            provider: { ...other.provider, baseUrl: other.baseUrl, apiKeyEnv: other.apiKeyEnv },
            timeoutMs: other.timeoutMs,
          });
        }
      }
    }
    this.stepCache = chain[this.cell.failures % chain.length]!;
    return this.stepCache;
  }

  /** Calls the provider once and records the outcome; `callEnded` fires as soon as the provider call is over. */
  async execute(signal: AbortSignal, callEnded: () => void = () => undefined): Promise<void> {
    this.callEnded = callEnded;
    // Inside the attempt span: the outcome's statements (complete, fail, release) are its children in the trace.
    await this.startSpan().within(() => this.runAndRecord(signal));
  }

  private async runAndRecord(signal: AbortSignal): Promise<void> {
    try {
      await this.run(signal);
    } catch (err) {
      // The outcome could not be written. For a data reason (a value the database refuses) writing it again can only
      // fail again: record the attempt as a final error saying why, rather than leave the cell running for a lease and
      // call the upstream again. Otherwise (database unreachable) the lease expires and the reaper requeues the cell.
      const message = err instanceof Error ? err.message : String(err);
      if (this.lastResult && isDataError(err) && (await this.unrecordable(this.lastResult, message))) return;
      this.emit({ type: 'error', where: `cell ${this.cell.id}`, message });
    }
  }

  /** The provider's answer to this call, once there is one (for {@link unrecordable}). */
  private lastResult: ChatSuccess | ChatFailure | null = null;

  /** Records a call whose outcome the database refused as a final error naming the reason; false if that failed too. */
  private async unrecordable(r: ChatSuccess | ChatFailure, reason: string): Promise<boolean> {
    const message = `the call's outcome could not be stored: ${reason.slice(0, 300)}`;
    try {
      const recorded = await this.queue.fail(
        this.cell,
        {
          httpStatus: r.status,
          latencyMs: r.latencyMs,
          response: null,
          finishReason: null,
          inputTokens: null,
          outputTokens: null,
          usage: null,
          upstreamRequestId: r.requestId,
          error: { kind: 'unrecordable', message },
        },
        { kind: 'fail', outcome: 'final_error' },
      );
      this.report(
        recorded === 'fenced' ? 'fenced' : 'final_error',
        recorded === 'fenced' ? 'unchanged' : 'failed',
        r.latencyMs,
        r.status,
        null,
        message,
        null,
      );
      return true;
    } catch {
      return false;
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    this.emit({ type: 'call_started', cell: this.cell, attemptId: this.attemptId });
    const { provider, regionId, timeoutMs } = this.step;
    const fromEnv = (name: string | null) => (name ? (this.opts.env[name] ?? null) : null);
    const apiKey = fromEnv(provider.apiKeyEnv);
    const credentials = { accessKeyId: fromEnv(provider.accessKeyIdEnv), sessionToken: fromEnv(provider.sessionTokenEnv) };
    let result: ChatSuccess | ChatFailure;
    try {
      result = await this.guard.breaker.execute(async () => {
        const r = await this.startSpan().call(
          () =>
            this.provider.chat({
              baseUrl: provider.baseUrl,
              apiKey,
              provider,
              credentials,
              regionId,
              model: String(this.rendered.parameters.model),
              system: this.rendered.system,
              user: this.rendered.user,
              temperature: this.spec.parameters.temperature,
              maxTokens: this.spec.parameters.maxTokens,
              timeoutMs: callTimeoutMs(this.spec, timeoutMs),
              signal,
              maxResponseBytes: this.opts.config.limits.maxResponseBytes,
            }),
          describeCall,
        );
        if (!r.ok && isHealthFailure(r.failure)) throw new HealthFailure(r);
        return r;
      });
    } catch (err) {
      this.callEnded();
      if (err instanceof HealthFailure) {
        result = err.result;
        this.failureKind = failureKindOf(err.result.failure);
      } else if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
        const delay = this.opts.breakerHalfOpenMs;
        const released = await this.queue.release(this.cell, 'deferred', delay, {
          latencyMs: 0,
          error: { kind: 'breaker_open', message: 'circuit open for this region and model' },
        });
        this.report('deferred', released ? 'pending' : 'unchanged', 0, null, null, 'circuit open', delay);
        return;
      } else throw err;
    }
    this.callEnded();
    this.lastResult = result;
    if (!result.ok) this.failureKind = failureKindOf(result.failure);
    if (result.ok) return this.succeed(result);
    if (result.failure.kind === 'aborted') return this.aborted(result, String(signal.reason ?? 'aborted'));
    return this.failed(result);
  }

  private async succeed(r: ChatSuccess): Promise<void> {
    const label = classifyResponse({ content: r.content, finishReason: r.finishReason, refusal: r.refusal });
    const outcome = await this.queue.complete(this.cell, this.record(r), {
      classification: label.label,
      classificationRule: label.rule,
      classificationVersion: label.version,
      classificationConfidence: label.confidence,
      classificationTier: label.tier,
    });
    this.report(outcome, outcome === 'succeeded' ? 'succeeded' : 'unchanged', r.latencyMs, r.status, label.label, null, null);
  }

  private async failed(r: ChatFailure): Promise<void> {
    // An upstream's Retry-After is honoured up to limits.maxRetryAfterMs: one header must not park a cell (and keep its
    // job running) for hours. The attempt records the value asked next to the one applied.
    const asked = r.failure.retryAfterMs ?? null;
    const cap = this.opts.config.limits.maxRetryAfterMs;
    if (asked !== null && asked > cap) {
      r = {
        ...r,
        failure: {
          ...r.failure,
          retryAfterMs: cap,
          retryAfterAskedMs: asked,
          message: `${r.failure.message} (Retry-After ${seconds(asked)} cut to ${seconds(cap)}: limits.maxRetryAfterMs)`,
        },
      };
    }
    const decision = decideAfterFailure({
      failure: r.failure,
      attempt: this.cell.failures + 1,
      maxAttempts: this.cell.maxAttempts,
      random: this.opts.random,
    });
    const retryable = classifyFailure(r.failure) === 'retryable';
    const disposition =
      decision.action === 'retry'
        ? { kind: 'retry' as const, delayMs: decision.delayMs, outcome: 'retryable_error' as const }
        : { kind: 'fail' as const, outcome: retryable ? ('retryable_error' as const) : ('final_error' as const) };
    const recorded = await this.queue.fail(this.cell, this.record(r), disposition);
    const state = recorded === 'fenced' ? 'unchanged' : decision.action === 'retry' ? 'pending' : 'failed';
    this.report(
      recorded === 'fenced' ? 'fenced' : disposition.outcome,
      state,
      r.latencyMs,
      r.status,
      null,
      `${r.failure.message}; ${decision.reason}`,
      decision.action === 'retry' ? decision.delayMs : null,
    );
  }

  private async aborted(r: ChatFailure, reason: string): Promise<void> {
    if (reason === 'cancelled') {
      const ok = await this.queue.release(this.cell, 'cancelled', 0, {
        latencyMs: r.latencyMs,
        error: { kind: 'cancelled', message: 'job cancelled' },
      });
      return this.report('cancelled', ok ? 'cancelled' : 'unchanged', r.latencyMs, null, null, 'job cancelled', null);
    }
    if (reason === 'shutdown') {
      const ok = await this.queue.release(this.cell, 'released', 0, {
        latencyMs: r.latencyMs,
        error: { kind: 'released', message: 'runner shutting down' },
      });
      return this.report('released', ok ? 'pending' : 'unchanged', r.latencyMs, null, null, 'runner shutting down', 0);
    }
    // Lease lost (or about to be: heartbeats failing): a lease loss, not a failure of the upstream. Any write is
    // fenced once the lease is gone; the attempt row is closed if it is still open.
    const state = await this.queue.abandon(this.cell, this.record(r), this.opts.config.limits.maxLeaseLossesPerCell);
    this.report(
      state === 'fenced' ? 'fenced' : 'lease_expired',
      state === 'fenced' ? 'unchanged' : state,
      r.latencyMs,
      null,
      null,
      `call aborted: ${reason}`,
      null,
    );
  }

  /** The record of this call as last built (its tokens, finish reason and cost go into the attempt event). */
  private recorded: CallRecord | null = null;

  private record(r: ChatSuccess | ChatFailure): CallRecord {
    this.recorded = this.buildRecord(r);
    return this.recorded;
  }

  /** Who served the call (this region's provider) and what the provider said about where it ran. */
  private servedBy(r: ChatSuccess | ChatFailure): ServedBy {
    return {
      providerKind: this.step.provider.kind,
      region: this.step.regionId,
      regionObserved: r.regionObserved ?? null,
      regionObservedAllowed: this.step.provider.observedRegions,
      safety: r.ok ? (r.safety ?? null) : null,
      responseModel: r.ok ? (r.responseModel ?? null) : null,
    };
  }

  private buildRecord(r: ChatSuccess | ChatFailure): CallRecord {
    if (r.ok) {
      const price = priceOf(this.opts.config.prices, this.cell.modelId, this.cell.region);
      return {
        httpStatus: r.status,
        latencyMs: r.latencyMs,
        response: r.content,
        finishReason: r.finishReason,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        usage: r.usage,
        upstreamRequestId: r.requestId,
        error: null,
        costUsd: callCost(price, r.inputTokens, r.outputTokens),
        served: this.servedBy(r),
      };
    }
    return {
      httpStatus: r.status,
      latencyMs: r.latencyMs,
      response: r.body,
      finishReason: null,
      inputTokens: null,
      outputTokens: null,
      usage: null,
      upstreamRequestId: r.requestId,
      error: {
        kind: r.failure.kind,
        message: r.failure.message,
        ...(r.failure.retryAfterMs != null ? { retryAfterMs: r.failure.retryAfterMs } : {}),
        ...(r.failure.retryAfterAskedMs != null ? { retryAfterAskedMs: r.failure.retryAfterAskedMs } : {}),
      },
      served: this.servedBy(r),
    };
  }

  private report(
    outcome: AttemptOutcome,
    state: AttemptCellState,
    latencyMs: number,
    httpStatus: number | null,
    classification: string | null,
    error: string | null,
    retryInMs: number | null,
  ): void {
    const category = this.spec.questions.find((q) => q.id === this.cell.questionId)?.category ?? null;
    this.span?.end(outcome, classification, error);
    this.emit({
      type: 'attempt',
      cell: this.cell,
      attemptId: this.attemptId,
      outcome,
      state,
      latencyMs,
      httpStatus,
      classification,
      category,
      failureKind: this.failureKind,
      error,
      retryInMs,
      inputTokens: this.recorded?.inputTokens ?? null,
      outputTokens: this.recorded?.outputTokens ?? null,
      finishReason: this.recorded?.finishReason ?? null,
      costUsd: this.recorded?.costUsd ?? null,
      called: outcome !== 'deferred',
    });
  }
}

/** Longest per-call timeout a spec may ask for: the configuration's own bound on `regions.<id>.timeoutMs`. */
const MAX_CALL_TIMEOUT_MS = 3_600_000;

/**
 * The timeout of one call: the spec's `constraints.provider_timeout` when it sets one (the old runner's per-call
 * timeout; its zero value means unset), else the region's `timeoutMs`.
 */
export function callTimeoutMs(spec: Pick<NormalisedJobSpec, 'constraints'>, regionTimeoutMs: number): number {
  const asked = spec.constraints.providerTimeoutMs;
  return asked !== null && asked > 0 ? Math.min(asked, MAX_CALL_TIMEOUT_MS) : regionTimeoutMs;
}

/** One step of a cell's serving chain: the region whose provider makes the call, and that provider. */
interface ServingStep {
  regionId: string;
  provider: ProviderConfig;
  timeoutMs: number;
}
