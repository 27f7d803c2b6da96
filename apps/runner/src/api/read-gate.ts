import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { BeaconConfig } from '@beacon/domain';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { ApiError } from './api-error.js';
import { READ_METHODS } from './http-methods.js';

/** Seconds a read refused by the gate is asked to wait (`Retry-After`). */
export const READ_RETRY_AFTER_S = 1;
/** Longest a read waits for its turn before it is answered 503 (a slow database must not hold clients for minutes). */
export const READ_WAIT_MS = 10_000;

/** Metadata key of {@link Ungated}. */
export const UNGATED = 'beacon:ungated';

/**
 * A read route the gate leaves alone: health probes (cheap, and a liveness probe stuck behind reads would get a healthy
 * daemon restarted), live-event streams (long-lived, capped by `limits.maxEventStreams`), the analysis (in a worker
 * thread, with its own concurrency limit, and waiting up to `analysis.waitMs` for it would hold a slot meanwhile).
 */
export const Ungated = () => SetMetadata(UNGATED, true);

/**
 * At most `concurrency` reads in progress at once, `queue` more waiting in arrival order, any other refused. Each read
 * of the API (a page of up to 1,000 cells, a timeline, a scrape) ends in a stretch of synchronous work on the event loop
 * (rows parsed, views built, JSON written, secrets scanned): tens of milliseconds for a large page. Forty of them at
 * once end in the same turns, and the loop is then held for the sum, delaying the engine's heartbeats and the answers
 * of its provider calls past their timeouts, while their queries take every pooled database connection from it. With
 * the gate, a burst of reads costs the loop at most `concurrency` such stretches at a time, and leaves the rest of the
 * pool to the engine.
 */
export class ReadGate {
  private running = 0;
  private readonly waiting: { admit: () => void }[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
    private readonly waitMs = READ_WAIT_MS,
  ) {}

  /** Reads in progress and waiting (for tests and diagnostics). */
  get state(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /**
   * Waits for a slot and resolves with its release (call it once the answer is sent or abandoned; later calls do
   * nothing). Rejects with 503 `read_busy` when the queue is full or the wait exceeds its bound, and stops waiting
   * (rejecting) when `gone` is aborted: a client that left does not keep its place.
   */
  enter(gone?: AbortSignal): Promise<() => void> {
    if (this.running < this.concurrency && this.waiting.length === 0) return Promise.resolve(this.take());
    if (this.waiting.length >= this.queue) return Promise.reject(busy(`${this.concurrency} reads in progress and ${this.queue} waiting`));
    return new Promise((resolve, reject) => {
      const waiter = {
        admit: () => {
          cleanup();
          resolve(this.take());
        },
      };
      const leave = (error: ApiError) => {
        const i = this.waiting.indexOf(waiter);
        if (i < 0) return;
        this.waiting.splice(i, 1);
        cleanup();
        reject(error);
      };
      const timer = setTimeout(() => leave(busy(`no read slot within ${this.waitMs / 1000} s`)), this.waitMs);
      timer.unref();
      const onGone = () => leave(new ApiError(503, 'read_busy', 'the client went away while its read waited'));
      const cleanup = () => {
        clearTimeout(timer);
        gone?.removeEventListener('abort', onGone);
      };
      if (gone?.aborted) return reject(new ApiError(503, 'read_busy', 'the client went away before its read started'));
      gone?.addEventListener('abort', onGone, { once: true });
      this.waiting.push(waiter);
    });
  }

  private take(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      // Hand the slot on in a later turn: the read that ends here has just held the loop for its own stretch.
      if (this.waiting.length > 0 && this.running < this.concurrency) {
        this.running++;
        const next = this.waiting.shift()!;
        setImmediate(() => {
          this.running--;
          next.admit();
        });
      }
    };
  }
}

function busy(why: string): ApiError {
  return new ApiError(
    503,
    'read_busy',
    `too many reads at once on this daemon (${why}; limits.maxConcurrentReads, limits.maxQueuedReads); retry in ${READ_RETRY_AFTER_S} s`,
    undefined,
    { 'retry-after': String(READ_RETRY_AFTER_S) },
  );
}

/** Injection token of the daemon's {@link ReadGate}. */
export const READ_GATE = Symbol('READ_GATE');

/** The gate from `limits.maxConcurrentReads` and `limits.maxQueuedReads`. */
export function readGateFor(config: BeaconConfig): ReadGate {
  return new ReadGate(config.limits.maxConcurrentReads, config.limits.maxQueuedReads);
}

/**
 * Puts every read request (GET, HEAD) of a route not marked {@link Ungated} through the {@link ReadGate}, after
 * authentication (guards run first, so a refused token never waits for a slot) and before the handler; the slot is
 * released when the answer has been written, or when the response is abandoned.
 */
@Injectable()
export class ReadGateInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(READ_GATE) private readonly gate: ReadGate,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    if (!READ_METHODS.has(req.method) || req.method === 'OPTIONS') return next.handle();
    if (this.reflector.getAllAndOverride<boolean>(UNGATED, [context.getHandler(), context.getClass()])) return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.once('close', onClose);
    const release = await this.gate.enter(gone.signal).finally(() => res.off('close', onClose));
    if (res.writableEnded || res.destroyed) {
      release();
      return next.handle();
    }
    // Released once the answer is written (serialised, scanned and handed to the socket), not when the client has read
    // it: a client that never reads its answer must not hold a slot. A response abandoned before that releases on close.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with `this` the same response
    const end = res.end;
    res.end = function gatedEnd(this: Response, ...args: unknown[]) {
      try {
        return (end as (...a: unknown[]) => Response).apply(this, args);
      } finally {
        release();
      }
    } as Response['end'];
    res.once('close', release);
    return next.handle();
  }
}
