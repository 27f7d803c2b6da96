import { decideDelivery, describePost, NOTIFY_BACKOFF, type BackoffPolicy, type ResolvedSink } from '@beacon/domain';
import type { ClaimedDelivery, ClaimSink, DeliveryEnd } from '@beacon/db';
import { attemptError, type NotificationSender } from '@beacon/engine';

/** The outbox as the worker uses it. The real NotificationRepository satisfies it; unit tests use an in-memory fake. */
export interface OutboxPort {
  claim(runnerId: string, sinks: readonly ClaimSink[], limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  finish(d: ClaimedDelivery, end: DeliveryEnd): Promise<'won' | 'fenced'>;
  deadLetterLost(sinkIds: readonly string[]): Promise<{ id: string; sinkId: string }[]>;
}

/**
 * The delivery loop's modes.
 *
 * - `starting`: built, not started; `stop` goes straight to `stopped`.
 * - `idle`: nothing in flight, no claim under way; the next poll tick (or a wake: new rows announced) claims.
 * - `polling`: a claim is under way. A tick, a wake or a finished delivery meanwhile is remembered (`again`) and claims
 *   once more as soon as it lands, if slots are free: the claim under way may have missed rows due since.
 * - `delivering`: POSTs in flight, no claim under way. A finished delivery frees a slot and claims at once (more rows
 *   may be due); a tick claims when a slot is free.
 * - `stopping`: shutdown. Nothing more is claimed; the claim under way lands and its rows are posted; in-flight POSTs
 *   get the grace period, then are aborted (recorded as a timeout, retried later by any daemon).
 * - `stopped`: nothing in flight, nothing claimed. Final.
 */
export type DeliveryMode = 'starting' | 'idle' | 'polling' | 'delivering' | 'stopping' | 'stopped';

/** What moves the loop. `claimed` carries how many rows the claim leased (0 when it failed). */
export type DeliveryInput =
  { type: 'start' } | { type: 'tick' } | { type: 'claimed'; count: number } | { type: 'finished' } | { type: 'stop' };

/** The loop's state: its mode, POSTs in flight, whether a claim is under way and whether another should follow it. */
export interface DeliveryLoopState {
  readonly mode: DeliveryMode;
  readonly inFlight: number;
  readonly polling: boolean;
  readonly again: boolean;
}

export const INITIAL_DELIVERY_LOOP: DeliveryLoopState = { mode: 'starting', inFlight: 0, polling: false, again: false };

/**
 * The one transition function of the delivery loop, for `concurrency` POSTs at most: the next state, and how many rows
 * to claim now (0: none). A claim is only ever asked for with no claim under way, and never for more rows than free
 * slots, so `inFlight` never exceeds `concurrency`.
 */
export function deliveryStep(s: DeliveryLoopState, input: DeliveryInput, concurrency: number): { next: DeliveryLoopState; claim: number } {
  const free = (inFlight: number) => Math.max(0, concurrency - inFlight);
  const poll = (inFlight: number) => ({ next: { mode: 'polling' as const, inFlight, polling: true, again: false }, claim: free(inFlight) });
  const settle = (inFlight: number) => ({
    next: { mode: inFlight > 0 ? ('delivering' as const) : ('idle' as const), inFlight, polling: false, again: false },
    claim: 0,
  });
  const stay = { next: s, claim: 0 };
  switch (s.mode) {
    case 'starting':
      return input.type === 'start' ? poll(0) : input.type === 'stop' ? { next: { ...s, mode: 'stopped' }, claim: 0 } : stay;
    case 'idle':
    case 'delivering':
      switch (input.type) {
        case 'tick':
          return free(s.inFlight) > 0 ? poll(s.inFlight) : stay;
        case 'finished':
          return poll(s.inFlight - 1);
        case 'stop':
          return s.inFlight === 0 ? { next: { ...s, mode: 'stopped' }, claim: 0 } : { next: { ...s, mode: 'stopping' }, claim: 0 };
        default:
          return stay;
      }
    case 'polling':
      switch (input.type) {
        case 'tick':
          return { next: { ...s, again: true }, claim: 0 };
        case 'finished':
          return { next: { ...s, inFlight: s.inFlight - 1, again: true }, claim: 0 };
        case 'claimed': {
          const inFlight = s.inFlight + input.count;
          return s.again && free(inFlight) > 0 ? poll(inFlight) : settle(inFlight);
        }
        case 'stop':
          return { next: { ...s, mode: 'stopping', again: false }, claim: 0 };
        default:
          return stay;
      }
    case 'stopping': {
      const next =
        input.type === 'claimed'
          ? { ...s, inFlight: s.inFlight + input.count, polling: false }
          : input.type === 'finished'
            ? { ...s, inFlight: s.inFlight - 1 }
            : s;
      return { next: next.inFlight === 0 && !next.polling ? { ...next, mode: 'stopped' } : next, claim: 0 };
    }
    case 'stopped':
      return stay;
  }
}

/** What a worker is built with. */
export interface DeliveryWorkerOptions {
  runnerId: string;
  sinks: readonly ResolvedSink[];
  /** POSTs in flight at most (all sinks together). */
  concurrency: number;
  /** Claims at least this often (jittered by ±20 %). */
  pollMs: number;
  /** Lease of one attempt: longer than the slowest sink's timeout, so a live daemon never loses a row it is posting. */
  leaseMs: number;
  /** How long in-flight POSTs may go on at shutdown before they are aborted. */
  shutdownGraceMs: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /**
   * Told of every recorded attempt: its sink and outcome (`delivered`, `retry`, `dead`, `fenced`), of every row taken
   * over from a daemon that stopped mid-attempt (`lease_expired`), and of every row dead-lettered because its last
   * attempt was lost so (`dead`).
   */
  onAttempt?: (sinkId: string, outcome: string) => void;
  onError?: (where: string, err: unknown) => void;
}

/**
 * Delivers the notification outbox of the configured sinks: claims due rows (SKIP LOCKED, leased with a fencing token,
 * so several daemons deliver each row once), POSTs each, decides (`decideDelivery`) and records the attempt fenced by
 * its token. The loop is {@link deliveryStep}; this class only runs what it decides.
 */
export class DeliveryWorker {
  private loop: DeliveryLoopState = INITIAL_DELIVERY_LOOP;
  private timer: NodeJS.Timeout | null = null;
  private readonly sinks: Map<string, ResolvedSink>;
  private readonly claimSinks: ClaimSink[];
  private readonly aborts = new Set<AbortController>();
  private readonly inFlight = new Set<Promise<void>>();
  private claimRun: Promise<void> = Promise.resolve();
  private stopped: (() => void) | null = null;
  private readonly random: () => number;

  constructor(
    private readonly opts: DeliveryWorkerOptions,
    private readonly outbox: OutboxPort,
    private readonly sender: NotificationSender,
  ) {
    this.sinks = new Map(opts.sinks.map((s) => [s.id, s]));
    this.claimSinks = opts.sinks.map((s) => ({ id: s.id, host: s.host }));
    this.random = opts.random ?? Math.random;
  }

  get mode(): DeliveryMode {
    return this.loop.mode;
  }

  start(): void {
    if (this.loop.mode !== 'starting') return;
    this.schedule();
    this.input({ type: 'start' });
  }

  /** New rows were announced: claim now rather than at the next tick. */
  wake(): void {
    this.input({ type: 'tick' });
  }

  /** Stops claiming, lets in-flight POSTs finish within the grace period, aborts the rest; resolves when none is left. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.loop.mode === 'stopped') return;
    const done = new Promise<void>((resolve) => {
      this.stopped = resolve;
    });
    this.input({ type: 'stop' });
    if (this.mode === 'stopped') return;
    const grace = setTimeout(() => {
      for (const a of this.aborts) a.abort(new Error('shutdown'));
    }, this.opts.shutdownGraceMs);
    await this.claimRun;
    await done;
    clearTimeout(grace);
  }

  private schedule(): void {
    const jitter = 1 + (this.random() * 2 - 1) * 0.2;
    this.timer = setTimeout(
      () => {
        this.input({ type: 'tick' });
        if (this.loop.mode !== 'stopping' && this.loop.mode !== 'stopped') this.schedule();
      },
      Math.max(10, this.opts.pollMs * jitter),
    );
    this.timer.unref?.();
  }

  private input(i: DeliveryInput): void {
    const { next, claim } = deliveryStep(this.loop, i, this.opts.concurrency);
    this.loop = next;
    if (claim > 0) this.claimRun = this.claimRound(claim);
    if (next.mode === 'stopped' && this.stopped) {
      this.stopped();
      this.stopped = null;
    }
  }

  private async claimRound(limit: number): Promise<void> {
    let claimed: ClaimedDelivery[] = [];
    try {
      // Rows whose last allowed attempt was lost with its daemon: dead-lettered here, by whichever daemon polls first.
      for (const lost of await this.outbox.deadLetterLost(this.claimSinks.map((s) => s.id))) this.opts.onAttempt?.(lost.sinkId, 'dead');
      claimed = await this.outbox.claim(this.opts.runnerId, this.claimSinks, limit, this.opts.leaseMs);
    } catch (err) {
      this.opts.onError?.('claim', err);
    }
    this.input({ type: 'claimed', count: claimed.length });
    for (const d of claimed) this.deliver(d);
  }

  private deliver(d: ClaimedDelivery): void {
    if (d.reclaimed) this.opts.onAttempt?.(d.sinkId, 'lease_expired');
    const abort = new AbortController();
    this.aborts.add(abort);
    const run = this.attempt(d, abort.signal)
      .catch((err) => this.opts.onError?.(`delivery ${d.id}`, err))
      .finally(() => {
        this.aborts.delete(abort);
        this.inFlight.delete(run);
        this.input({ type: 'finished' });
      });
    this.inFlight.add(run);
  }

  private async attempt(d: ClaimedDelivery, signal: AbortSignal): Promise<void> {
    const sink = this.sinks.get(d.sinkId);
    if (!sink) throw new Error(`claimed a row of sink ${d.sinkId}, which this daemon does not have`);
    const { result, latencyMs } = await this.sender.post(sink, d.id, d.event, signal);
    const decision = decideDelivery(result, d.attempt, d.maxAttempts, this.random, this.opts.backoff ?? NOTIFY_BACKOFF);
    const error = decision.state === 'delivered' ? null : `${decision.reason} — ${attemptError(result) ?? describePost(result)}`;
    const won = await this.outbox.finish(d, {
      state: decision.state,
      outcome: decision.outcome,
      delayMs: decision.state === 'pending' ? decision.delayMs : 0,
      durationMs: latencyMs,
      httpStatus: result.kind === 'http' ? result.status : null,
      error,
    });
    this.opts.onAttempt?.(d.sinkId, won === 'won' ? decision.outcome : 'fenced');
  }
}
