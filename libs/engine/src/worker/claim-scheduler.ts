import { RetryBudget, type RegionModelKey, priceOf, regionModelKey, splitRegionModelKey } from '@beacon/domain';
import type { BudgetStop, ClaimedCell, ClaimRequest, ReleaseReason } from '@beacon/db';
import type { EngineListener } from './engine.events.js';
import type { EngineOptions } from './engine.options.js';
import { KeyGuard } from './key-guard.js';
import { Periodic } from './periodic.js';

/** The queue as the scheduler uses it. The real QueueRepository satisfies it; unit tests use an in-memory fake. */
export interface ClaimSource {
  claim(req: ClaimRequest): Promise<ClaimedCell[]>;
  release(cell: ClaimedCell, reason: ReleaseReason, delayMs?: number): Promise<boolean>;
  /** Capped jobs its claims stopped (a spec's `max_cost`), since last asked. */
  takeBudgetStops?(): BudgetStop[];
}

/**
 * The operators' concurrency overrides (`key_controls`): the real ControlsRepository satisfies it; unit tests use a fake.
 * An override is the number of cells of a (region, model) held at once across all daemons, in place of its region's
 * concurrency, up or down.
 */
export interface OverrideSource {
  concurrencyOverrides(): Promise<{ region: string; modelId: string; concurrency: number }[]>;
}

/** A cell given a provider slot: what its call needs, and how it hands the slot back early. */
export interface ScheduledCall<R> {
  readonly cell: ClaimedCell;
  /** What {@link CellCalls.prepare} made of the cell (the engine: its CellRun). */
  readonly run: R;
  /** Aborted when the call must stop: `shutdown`, `cancelled` or `lease_lost` as its reason. */
  readonly signal: AbortSignal;
  /** The provider call is over: its slot goes to the next ready cell while this one's outcome is recorded. */
  readonly callEnded: () => void;
}

/** How claimed cells become calls. The engine makes CellRuns that call the provider; unit tests use a fake. */
export interface CellCalls<R> {
  /** Readies a claimed cell for its call (loads its job's spec); a throw ends the claim round like a failed claim. */
  prepare(cell: ClaimedCell, guard: KeyGuard): Promise<R>;
  /** Starts the calls of cells just given slots, in one batch; each promise settles once that cell's outcome is recorded. */
  start(batch: ScheduledCall<R>[]): Promise<void>[];
}

/** What the scheduler needs of the engine options. */
export type SchedulerOptions = Pick<
  EngineOptions,
  | 'runnerId'
  | 'config'
  | 'regions'
  | 'leaseMs'
  | 'pollMs'
  | 'idlePollMaxMs'
  | 'maxConcurrency'
  | 'shutdownGraceMs'
  | 'controlsPollMs'
  | 'breakerFailures'
  | 'breakerHalfOpenMs'
  | 'retryBudgetRatio'
  | 'retryBudgetWindowMs'
  | 'retryBudgetMinPerSecond'
  | 'random'
>;

/**
 * The claim loop's modes.
 *
 * - `starting`: built, not started. Nothing is claimed; `stop` goes straight to `released` (so a late start does nothing).
 * - `polling`: a claim round is under way (one statement per (region, model) with room). A request to claim meanwhile
 *   (a poll tick, a wake, a freed slot, a breaker closing) is remembered and runs one more round as soon as it ends:
 *   the round under way may have passed that key already.
 * - `waiting`: no round under way. The next starts on a poll tick (every `pollMs`, jittered), a wake (new work
 *   announced, cells reaped), a provider slot freed, or a breaker closing.
 * - `fenced`: heartbeats have failed for nearly a lease, so other runners may soon be handed our cells: nothing is
 *   claimed until a heartbeat succeeds. A round already under way finishes.
 * - `stopping`: shutdown. Nothing more is claimed; the round under way lands (it may still lease us cells), cells not
 *   yet called are released, calls get the grace period and are then aborted and released.
 * - `released`: every cell this runner claimed has been run or released. Final.
 */
export type SchedulerMode = 'starting' | 'polling' | 'waiting' | 'fenced' | 'stopping' | 'released';

/** What moves the loop: the scheduler's callers, and a claim round ending. */
export type SchedulerInput = 'start' | 'fill' | 'round_done' | 'fence' | 'unfence' | 'stop' | 'drained';

/** The claim loop's state. `roundUnderWay` is always true in `polling` and false in `waiting`. */
export interface LoopState {
  readonly mode: SchedulerMode;
  readonly roundUnderWay: boolean;
  /** A claim was asked for during the round under way: one more round follows it. */
  readonly again: boolean;
}

export const INITIAL_LOOP: LoopState = { mode: 'starting', roundUnderWay: false, again: false };

/**
 * The one transition function of the claim loop: the next state, and whether a claim round starts now. Inputs a mode
 * does not expect leave it as it is (a fill while fenced, an unfence while healthy, anything once released).
 */
export function schedulerStep(s: LoopState, input: SchedulerInput): { next: LoopState; startRound: boolean } {
  const stay = { next: s, startRound: false };
  const round = { next: { mode: 'polling', roundUnderWay: true, again: false } as LoopState, startRound: true };
  const to = (mode: SchedulerMode, roundUnderWay = s.roundUnderWay, again = false) => ({
    next: { mode, roundUnderWay, again },
    startRound: false,
  });
  switch (s.mode) {
    case 'starting':
      return input === 'start' ? round : input === 'stop' ? to('released') : stay;
    case 'waiting':
    case 'polling':
      switch (input) {
        case 'fill':
          return s.roundUnderWay ? to('polling', true, true) : round;
        case 'round_done':
          return s.again ? round : to('waiting', false);
        case 'fence':
          return to('fenced');
        case 'stop':
          return to('stopping');
        default:
          return stay;
      }
    case 'fenced':
      switch (input) {
        case 'round_done':
          return to('fenced', false);
        // Claims resume; if the round started before fencing is still out, the next one follows it.
        case 'unfence':
          return s.roundUnderWay ? to('polling', true, true) : round;
        case 'stop':
          return to('stopping');
        default:
          return stay;
      }
    case 'stopping':
      switch (input) {
        case 'round_done':
          return to('stopping', false);
        case 'drained':
          return to('released', false);
        default:
          return stay;
      }
    case 'released':
      return stay;
  }
}

/** What a (region, model)'s slots allow right now. */
export interface KeySlots {
  /** Calls that may start now (0 while the key is at or over its limit). */
  readonly callable: number;
  /** How many cells to keep claimed ahead of a free slot. */
  readonly ahead: number;
  /** Cells claimed ahead beyond what the limit still lets the key hold: handed back to the queue. */
  readonly excessReady: number;
}

/**
 * A (region, model)'s slots, from its limit (the override, or the region's concurrency) and what it holds: the one
 * definition the claim round, the dispatch and a resize use. A limit lowered under the calls in flight leaves them
 * running (a call is never aborted for it) and lets no call start until they are under it; the cells claimed ahead
 * that the smaller limit no longer covers go back to the queue. `free` bounds what the key may call beside its own
 * limit (its region's shared slots, the daemon's `maxConcurrency`, the breaker).
 */
export function keySlots(limit: number, calling: number, ready: number, free: number, breakerOpen: boolean): KeySlots {
  const callable = Math.max(0, Math.min(limit - calling, free));
  const ahead = breakerOpen || limit <= 0 ? 0 : Math.ceil(limit / 4);
  const keep = Math.max(0, limit - calling) + ahead;
  return { callable, ahead, excessReady: Math.max(0, ready - keep) };
}

/** A leased cell: waiting in the ready queue for a provider slot, or calling; with the means to stop it. */
interface Held<R> {
  cell: ClaimedCell;
  key: RegionModelKey;
  run: R;
  phase: 'ready' | 'calling';
  abort: AbortController;
  done: Promise<void>;
  /** Resolves `done` for a cell that leaves the ready queue without being called. */
  settle: () => void;
}

/**
 * Decides what this runner claims and when its calls start. Fair across (region, model): every round claims each key
 * with room in turn, one statement each, so a busy key never starves another. A key found empty (nothing claimed,
 * nothing in flight) is claimed less and less often, up to `idlePollMaxMs`, until new work is announced. A small
 * claim-ahead buffer per key (a quarter of the region's concurrency) lets the next call start the moment a slot frees,
 * instead of after a claim round trip. A key whose breaker is open claims nothing until its probe is due, and gives its
 * claimed-ahead cells back. The retry budget bounds how many retries a claim may take.
 */
export class ClaimScheduler<R> {
  private loop: LoopState = INITIAL_LOOP;
  /** Cells whose lease this runner holds (ready or calling), by id. */
  private readonly held = new Map<string, Held<R>>();
  /**
   * Concurrency overrides in force, by (region, model), as last read: they replace the region's concurrency as the
   * key's limit, and take the key out of its region's shared slots. Re-read on {@link refreshControls} (an operator's
   * change announced by NOTIFY) and every `controlsPollMs`.
   */
  private overrides = new Map<RegionModelKey, number>();
  /** Reads of the overrides started: a read answers only if no later one started meanwhile. */
  private controlsReads = 0;
  private readonly controlsPoll: Periodic | null;
  /** Leased cells waiting for a provider slot, by (region, model), oldest first. */
  private readonly ready = new Map<RegionModelKey, Held<R>[]>();
  private readonly guards = new Map<RegionModelKey, KeyGuard>();
  private readonly budget: RetryBudget;
  /** A key that got fewer cells than it asked for is not claimed again before the next poll tick (or a wake). */
  private readonly quietUntil = new Map<RegionModelKey, number>();
  /**
   * Per (region, model) with nothing to claim and nothing in flight: not claimed again before this time. The wait
   * doubles with every empty claim, from `pollMs` up to `idlePollMaxMs`; {@link wake} (new work announced) ends it.
   */
  private readonly idleUntil = new Map<RegionModelKey, { until: number; streak: number }>();
  /** The last key {@link dispatch} gave a slot to: the next dispatch begins with the key after it. */
  private dispatchedLast: RegionModelKey | null = null;
  /** The claim round under way (or the last one): stop() waits for it, since it may still hand this runner cells. */
  private claimRun: Promise<void> = Promise.resolve();
  private readonly poll: Periodic;

  constructor(
    private readonly opts: SchedulerOptions,
    private readonly source: ClaimSource,
    private readonly calls: CellCalls<R>,
    private readonly emit: EngineListener = () => undefined,
    private readonly controls: OverrideSource | null = null,
  ) {
    this.budget = new RetryBudget({
      ratio: opts.retryBudgetRatio,
      windowMs: opts.retryBudgetWindowMs,
      minPerSecond: opts.retryBudgetMinPerSecond,
    });
    this.poll = new Periodic(
      'timer',
      opts.pollMs,
      () => {
        this.quietUntil.clear();
        this.dispatch();
        this.fill();
      },
      (where, err) => this.emit({ type: 'error', where, message: String(err) }),
      0.2,
      opts.random,
    );
    // NOTIFY carries an operator's change at once; the poll bounds how late a daemon that missed it (its listener was
    // reconnecting) resizes. The claim statement enforces the bound from the committed row whatever a daemon last read.
    this.controlsPoll = controls
      ? new Periodic(
          'controls',
          opts.controlsPollMs,
          () => this.refreshControls(),
          (where, err) => this.emit({ type: 'error', where, message: String(err) }),
          0.2,
          opts.random,
        )
      : null;
  }

  /** The limit of a (region, model) now: its override, or its region's concurrency. */
  limitOf(key: RegionModelKey): number {
    return this.overrides.get(key) ?? this.opts.config.regions[splitRegionModelKey(key).region]?.concurrency ?? 0;
  }

  /**
   * Re-reads the concurrency overrides and resizes the slots of each key whose limit changed: a raised limit claims and
   * calls at once; a lowered one lets the calls in flight finish, starts none until they are under it, and hands back
   * the cells claimed ahead it no longer covers.
   */
  async refreshControls(): Promise<void> {
    if (!this.controls || this.stopping) return;
    const read = ++this.controlsReads;
    const rows = await this.controls.concurrencyOverrides();
    if (read !== this.controlsReads || this.stopping) return;
    this.applyOverrides(new Map(rows.map((r) => [regionModelKey(r.region, r.modelId), r.concurrency])));
  }

  /** Puts a set of overrides in force (see {@link refreshControls}). */
  applyOverrides(next: Map<RegionModelKey, number>): void {
    const changed = [...new Set([...this.overrides.keys(), ...next.keys()])].filter((k) => this.overrides.get(k) !== next.get(k));
    if (changed.length === 0) return;
    this.overrides = next;
    for (const key of changed) {
      this.quietUntil.delete(key);
      this.idleUntil.delete(key);
      // A key never claimed here has no guard and nothing claimed ahead: its new limit applies from its first claim.
      const guard = this.guards.get(key);
      const queue = this.ready.get(key) ?? [];
      if (guard && queue.length > 0) {
        const { excessReady } = keySlots(this.limitOf(key), guard.inFlight, queue.length, Infinity, guard.open);
        for (const h of queue.slice(queue.length - excessReady)) void this.unready(h, 'released');
      }
      this.emit({ type: 'key_limit', key, override: next.get(key) ?? null, limit: this.limitOf(key) });
    }
    this.dispatch();
    this.fill();
  }

  /** Where the claim loop is (see {@link SchedulerMode}). */
  get mode(): SchedulerMode {
    return this.loop.mode;
  }

  /** Regions this runner works on. */
  get regions(): string[] {
    return this.opts.regions ?? Object.keys(this.opts.config.regions);
  }

  /** Cells this runner holds right now (ready or calling). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Per (region, model) seen so far: calls in flight and breaker state, for metrics. */
  snapshot(): { region: string; model: string; inFlight: number; breaker: 'closed' | 'half_open' | 'open' }[] {
    return [...this.guards.values()].map((g) => {
      const { region, modelId: model } = splitRegionModelKey(g.key);
      return { region, model, inFlight: g.inFlight, breaker: g.stateName };
    });
  }

  /** Starts polling and claims at once. */
  start(): void {
    if (this.loop.mode !== 'starting') return;
    this.poll.start();
    this.controlsPoll?.start();
    this.input('start');
    void this.refreshControls().catch((err: unknown) => this.emit({ type: 'error', where: 'controls', message: String(err) }));
  }

  /** Claims as much work as there is room for (now, or right after the round under way). */
  fill(): void {
    this.input('fill');
  }

  /** New work may be runnable (a job was submitted, cells were requeued): every key is claimed again now, whatever its wait. */
  wake(): void {
    this.quietUntil.clear();
    this.idleUntil.clear();
    this.fill();
  }

  /** Heartbeats are failing: claim nothing until {@link unfence}. The lease keeper stops the cells held. */
  fence(): void {
    this.input('fence');
  }

  /** A heartbeat succeeded again: claims resume. */
  unfence(): void {
    this.input('unfence');
  }

  /** The leases held, for the heartbeat. */
  leases(): { id: string; token: string }[] {
    return [...this.held.values()].map((h) => ({ id: h.cell.id, token: h.cell.leaseToken }));
  }

  /** True while this runner still holds the cell under this lease token. */
  holds(id: string, token: string): boolean {
    return this.held.get(id)?.cell.leaseToken === token;
  }

  /**
   * Shutdown: stops claiming, waits for the claim round under way, releases cells not yet called, lets calls finish
   * within `shutdownGraceMs`, then aborts the rest (their outcome is recorded `released`). Resolves once no cell is held.
   */
  async stop(): Promise<void> {
    if (this.loop.mode === 'starting') this.input('stop');
    if (this.loop.mode === 'stopping' || this.loop.mode === 'released') return;
    const deadline = Date.now() + this.opts.shutdownGraceMs;
    this.input('stop');
    this.poll.stop();
    this.controlsPoll?.stop();
    // A claim already sent can still lease cells to this runner: let it land, so they are run or released below
    // instead of being left running after the runner has stopped.
    await this.claimRun;
    for (const h of [...this.held.values()]) if (h.phase === 'ready') this.drop(h.cell.id, 'shutdown');
    const pending = [...this.held.values()].map((h) => h.done);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    });
    await Promise.race([Promise.allSettled(pending), graceOver]).finally(() => clearTimeout(timer));
    for (const id of [...this.held.keys()]) this.drop(id, 'shutdown');
    await Promise.allSettled([...this.held.values()].map((h) => h.done));
    this.input('drained');
  }

  /** Stops a cell: aborts its call, or takes it out of the ready queue (released, unless its lease is already gone). */
  drop(id: string, reason: 'lease_lost' | 'cancelled' | 'shutdown'): void {
    const h = this.held.get(id);
    if (!h) return;
    if (h.phase === 'ready') void this.unready(h, reason === 'lease_lost' ? 'lost' : reason === 'cancelled' ? 'cancelled' : 'released');
    else h.abort.abort(reason);
  }

  /** The breaker and slot count of a (region, model); made on first use. */
  guard(key: RegionModelKey): KeyGuard {
    let g = this.guards.get(key);
    if (!g) {
      g = new KeyGuard(key, this.opts.breakerFailures, this.opts.breakerHalfOpenMs, (state) => {
        this.emit({ type: 'breaker', key, state });
        // Cells claimed ahead for a key whose breaker just opened go back to the queue until the probe is due.
        if (state === 'open') for (const h of [...(this.ready.get(key) ?? [])]) void this.unready(h, 'deferred');
        if (state === 'closed') this.fill();
      });
      this.guards.set(key, g);
    }
    return g;
  }

  private input(i: SchedulerInput): void {
    const { next, startRound } = schedulerStep(this.loop, i);
    this.loop = next;
    if (startRound) {
      this.claimRun = this.claimRound()
        .catch((err) => this.emit({ type: 'error', where: 'claim', message: String(err) }))
        .finally(() => this.input('round_done'));
    }
  }

  private get stopping(): boolean {
    return this.loop.mode === 'stopping' || this.loop.mode === 'released';
  }

  private async claimRound(): Promise<void> {
    const now = Date.now();
    for (const region of this.regions) {
      const regionConfig = this.opts.config.regions[region];
      if (!regionConfig) continue;
      for (const model of Object.values(this.opts.config.models)) {
        if (!model.regions.includes(region)) continue;
        const key = regionModelKey(region, model.id);
        if ((this.quietUntil.get(key) ?? 0) > now || (this.idleUntil.get(key)?.until ?? 0) > now) continue;
        const guard = this.guard(key);
        const override = this.overrides.get(key);
        const keyLimit = override ?? regionConfig.concurrency;
        const slots = keySlots(keyLimit, guard.inFlight, this.ready.get(key)?.length ?? 0, this.freeFor(key, region, guard), guard.open);
        const limit = slots.callable + slots.ahead - (this.ready.get(key)?.length ?? 0);
        if (limit <= 0 || this.stopping) continue;
        // The retry budget bounds the retries a claim may take, not just whether it may take any: with fewer
        // retries allowed than free slots, claim first attempts, then at most `allowed` cells of any kind.
        const claim = (n: number, firstAttemptsOnly: boolean) =>
          this.source.claim({
            runnerId: this.opts.runnerId,
            region,
            modelId: model.id,
            limit: n,
            leaseMs: this.opts.leaseMs,
            firstAttemptsOnly,
            price: priceOf(this.opts.config.prices, model.id, region),
            overridden: override !== undefined,
          });
        const retriesAllowed = this.budget.snapshot(key).allowed;
        let cells = await claim(limit, retriesAllowed < limit);
        if (retriesAllowed > 0 && retriesAllowed < limit && cells.length < limit && !this.stopping) {
          cells = cells.concat(await claim(Math.min(limit - cells.length, retriesAllowed), false));
        }
        for (const stop of this.source.takeBudgetStops?.() ?? []) this.emit({ type: 'budget_exhausted', ...stop });
        if (cells.length < limit) this.quietUntil.set(key, now + this.opts.pollMs);
        if (cells.length === 0 && guard.inFlight === 0 && !this.ready.get(key)?.length) {
          const streak = (this.idleUntil.get(key)?.streak ?? 0) + 1;
          const wait = Math.min(this.opts.pollMs * 2 ** Math.min(streak - 1, 16), Math.max(this.opts.idlePollMaxMs, this.opts.pollMs));
          this.idleUntil.set(key, { until: now + wait, streak });
        } else if (cells.length > 0) {
          this.idleUntil.delete(key);
        }
        if (cells.length > 0) await this.launch(cells);
      }
    }
  }

  /** Puts claimed cells in the ready queue of their key, then starts what slots allow. */
  private async launch(cells: ClaimedCell[]): Promise<void> {
    this.emit({ type: 'claimed', cells });
    for (const cell of cells) {
      const key = regionModelKey(cell.region, cell.modelId);
      // A call lost with a crashed runner's lease is re-run as a retry too: it calls the upstream again.
      if (cell.failures === 0 && cell.leaseLosses === 0) this.budget.recordFirstAttempt(key);
      else this.budget.tryRetry(key);
      const run = await this.calls.prepare(cell, this.guard(key));
      let settle = () => undefined as void;
      const done = new Promise<void>((resolve) => {
        settle = resolve;
      });
      const h: Held<R> = { cell, key, run, phase: 'ready', abort: new AbortController(), done, settle };
      this.held.set(cell.id, h);
      const queue = this.ready.get(key) ?? [];
      queue.push(h);
      this.ready.set(key, queue);
    }
    this.dispatch();
  }

  /**
   * Starts calls for ready cells while their (region, model), region and runner have free provider slots. Keys take
   * turns: each dispatch starts after the last key that got a slot, so that a key with a steady supply of ready cells
   * does not take every slot its region frees from the other models of that region.
   */
  private dispatch(): void {
    const batch: Held<R>[] = [];
    const keys = [...this.ready.keys()];
    const from = this.dispatchedLast === null ? 0 : keys.indexOf(this.dispatchedLast) + 1;
    for (let n = 0; n < keys.length; n++) {
      const key = keys[(from + n) % keys.length]!;
      const queue = this.ready.get(key)!;
      const guard = this.guard(key);
      while (queue.length > 0 && !this.stopping) {
        const region = queue[0]!.cell.region;
        if (keySlots(this.limitOf(key), guard.inFlight, queue.length, this.freeFor(key, region, guard), guard.open).callable <= 0) break;
        const h = queue.shift()!;
        if (this.held.get(h.cell.id) !== h) continue;
        h.phase = 'calling';
        guard.inFlight++;
        batch.push(h);
        this.dispatchedLast = key;
      }
    }
    if (batch.length > 0) this.startCalls(batch);
  }

  private startCalls(batch: Held<R>[]): void {
    const calls = batch.map((h) => {
      let slotFreed = false;
      // The provider slot frees as soon as the call returns, so the next call starts while this one is recorded.
      const freeSlot = () => {
        if (slotFreed) return;
        slotFreed = true;
        this.guard(h.key).inFlight--;
        this.dispatch();
        this.fill();
      };
      return { h, freeSlot, call: { cell: h.cell, run: h.run, signal: h.abort.signal, callEnded: freeSlot } };
    });
    const finished = this.calls.start(calls.map((c) => c.call));
    calls.forEach(({ h, freeSlot }, i) => {
      void Promise.resolve(finished[i])
        .catch(() => undefined)
        .finally(() => {
          freeSlot();
          this.held.delete(h.cell.id);
          h.settle();
        });
    });
  }

  /** Takes a cell out of the ready queue without calling it: released on shutdown, cancelled, deferred, or its lease lost. */
  private async unready(h: Held<R>, reason: 'released' | 'cancelled' | 'deferred' | 'lost'): Promise<void> {
    const queue = this.ready.get(h.key);
    const i = queue?.indexOf(h) ?? -1;
    if (i < 0 || h.phase !== 'ready') return;
    queue!.splice(i, 1);
    try {
      if (reason !== 'lost') await this.source.release(h.cell, reason, reason === 'deferred' ? this.opts.breakerHalfOpenMs : 0);
    } catch (err) {
      this.emit({ type: 'error', where: `release ${h.cell.id}`, message: String(err) });
    } finally {
      this.held.delete(h.cell.id);
      h.settle();
    }
  }

  /**
   * Calls a key may start beside its own limit: the daemon's `maxConcurrency`, the breaker's gate, and — for a key
   * without an override — its region's concurrency, shared by the region's models without one. A key with an override
   * has its own slots: the override replaces the region's concurrency for it.
   */
  private freeFor(key: RegionModelKey, region: string, guard: KeyGuard): number {
    let total = 0;
    let regionShared = 0;
    for (const g of this.guards.values()) {
      total += g.inFlight;
      if (!this.overrides.has(g.key) && splitRegionModelKey(g.key).region === region) regionShared += g.inFlight;
    }
    const regionFree = this.overrides.has(key) ? Infinity : (this.opts.config.regions[region]?.concurrency ?? 0) - regionShared;
    return Math.min(this.opts.maxConcurrency - total, regionFree, guard.breakerRoom);
  }
}
