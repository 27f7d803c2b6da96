import {
  isTerminalJobStatus, RetryBudget, type RegionModelKey, regionModelKey, rollupJobStatus, splitRegionModelKey, type NormalisedJobSpec,
} from '@beacon/domain';
import type { ClaimedCell, LifecycleRepository, QueueRepository, RunnerRepository } from '@beacon/db';
import type { ChatProvider } from '../provider/chat-provider.js';
import { CellRun } from './cell-run.js';
import type { EngineListener } from './engine.events.js';
import type { EngineOptions } from './engine.options.js';
import { KeyGuard } from './key-guard.js';

/** The repositories the engine works through. */
export interface EngineStores {
  queue: QueueRepository;
  lifecycle: LifecycleRepository;
  runners: RunnerRepository;
}

/** A leased cell: waiting in the ready queue for a provider slot, or calling; with the means to stop it. */
interface InFlight {
  cell: ClaimedCell;
  run: CellRun;
  phase: 'ready' | 'calling';
  abort: AbortController;
  done: Promise<void>;
  /** Resolves `done` for a cell that leaves the ready queue without being called. */
  settle: () => void;
}


/**
 * The worker side of a runner: claims cells with leases, calls the providers, records every attempt, renews leases,
 * rescues expired ones and rolls job statuses up. All state that matters lives in Postgres; this object only holds
 * the calls currently in flight.
 */
export class Engine {
  /** Cells whose lease this runner holds (calling or recording). */
  private readonly inFlight = new Map<string, InFlight>();
  /** Provider calls under way, by region: what the concurrency limits count. */
  private readonly calling = new Map<string, number>();
  /**
   * Leased cells waiting for a provider slot, by (region, model). A small claim-ahead buffer per key lets the next
   * call start the moment a slot frees, instead of after a claim round trip.
   */
  private readonly ready = new Map<RegionModelKey, CellRun[]>();
  private readonly guards = new Map<RegionModelKey, KeyGuard>();
  private readonly specs = new Map<string, { spec: NormalisedJobSpec; traceparent: string | null }>();
  private readonly budget: RetryBudget;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly quietUntil = new Map<RegionModelKey, number>();
  /**
   * Per (region, model) with nothing to claim and nothing in flight: not claimed again before this time. The wait
   * doubles with every empty claim, from `pollMs` up to `idlePollMaxMs`; {@link wake} (new work announced) ends it.
   */
  private readonly idleUntil = new Map<RegionModelKey, { until: number; streak: number }>();
  private claiming = false;
  /** The claim round under way (or the last one): stop() waits for it, since it may still hand this runner cells. */
  private claimRun: Promise<void> = Promise.resolve();
  private claimAgain = false;
  private stopping = false;
  private stopped = false;
  private started = false;
  private lastHeartbeatOk = Date.now();
  private selfFenced = false;

  constructor(
    private readonly opts: EngineOptions,
    private readonly stores: EngineStores,
    private readonly provider: ChatProvider,
    private readonly emit: EngineListener = () => undefined,
  ) {
    this.budget = new RetryBudget({ ratio: opts.retryBudgetRatio, windowMs: opts.retryBudgetWindowMs, minPerSecond: opts.retryBudgetMinPerSecond });
  }

  /** Regions this runner works on. */
  get regions(): string[] {
    return this.opts.regions ?? Object.keys(this.opts.config.regions);
  }

  /** Per (region, model) this runner knows: calls in flight and breaker state, for metrics. */
  snapshot(): { region: string; model: string; inFlight: number; breaker: 'closed' | 'half_open' | 'open' }[] {
    return [...this.guards.values()].map((g) => {
      const { region, modelId: model } = splitRegionModelKey(g.key);
      return { region, model, inFlight: g.inFlight, breaker: g.stateName };
    });
  }

  /** Calls in flight right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Registers the runner and starts claiming, heartbeats, the reaper and the status roll-up. */
  async start(version: string, host: string): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.stores.runners.register({ id: this.opts.runnerId, host, pid: process.pid, regions: this.opts.regions, version });
    const every = (ms: number, fn: () => Promise<unknown> | void, jitter = 0) => {
      // One slot per periodic task, overwritten at each tick (pushing every tick grew the array without bound).
      const slot = this.timers.length;
      const tick = () => {
        const t = setTimeout(async () => {
          try { await fn(); } catch (err) { this.emit({ type: 'error', where: fn.name || 'timer', message: String(err) }); }
          // Heartbeats go on through the shutdown grace period, but not once stop() has cleared the timers.
          if (!this.stopped && (!this.stopping || fn === this.heartbeat)) tick();
        }, ms * (1 + jitter * (this.opts.random() * 2 - 1)));
        t.unref?.();
        this.timers[slot] = t;
      };
      tick();
    };
    every(this.opts.pollMs, () => { this.quietUntil.clear(); this.dispatch(); this.fill(); }, 0.2);
    every(this.opts.heartbeatMs, this.heartbeat);
    every(this.opts.reapIntervalMs, this.reap, 0.2);
    every(this.opts.rollupMs, this.rollup);
    this.fill();
  }

  /**
   * Stops claiming, lets in-flight calls finish within the grace period, then aborts and releases the rest (their
   * attempts are recorded `released`, not failed), and marks the runner stopped. No cell is left running.
   */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    const deadline = Date.now() + this.opts.shutdownGraceMs;
    // A claim already sent can still lease cells to this runner: let it land, so they are run or released below
    // instead of being left running after the runner has stopped.
    await this.claimRun;
    for (const entry of [...this.inFlight.values()]) if (entry.phase === 'ready') this.stopCell(entry.cell.id, 'shutdown');
    while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(25);
    for (const id of [...this.inFlight.keys()]) this.stopCell(id, 'shutdown');
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await this.rollup().catch(() => undefined);
    await this.stores.runners.stopped(this.opts.runnerId).catch(() => undefined);
  }

  /**
   * New work may be runnable (a job was submitted, cells were requeued): every (region, model) is claimed again now,
   * whatever its idle wait.
   */
  wake(): void {
    this.quietUntil.clear();
    this.idleUntil.clear();
    this.fill();
  }

  /** Claims as much work as there is room for, one statement per (region, model) with free slots. */
  fill(): void {
    if (this.stopping || this.selfFenced) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = true;
    this.claimRun = this.claimRound()
      .catch((err) => this.emit({ type: 'error', where: 'claim', message: String(err) }))
      .finally(() => {
        this.claiming = false;
        if (this.claimAgain) {
          this.claimAgain = false;
          this.fill();
        }
      });
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
        const regionFree = regionConfig.concurrency - this.regionInFlight(region);
        const globalFree = this.opts.maxConcurrency - this.totalCalling();
        const guard = this.guard(key);
        const callable = Math.min(guard.claimable(regionConfig.concurrency), regionFree, globalFree);
        const ahead = guard.open ? 0 : Math.ceil(regionConfig.concurrency / 4);
        const limit = Math.max(0, callable) + ahead - (this.ready.get(key)?.length ?? 0);
        if (limit <= 0 || this.stopping) continue;
        // The retry budget bounds the retries a claim may take, not just whether it may take any: with fewer
        // retries allowed than free slots, claim first attempts, then at most `allowed` cells of any kind.
        const claim = (n: number, firstAttemptsOnly: boolean) => this.stores.queue.claim({
          runnerId: this.opts.runnerId, region, modelId: model.id, limit: n, leaseMs: this.opts.leaseMs, firstAttemptsOnly,
        });
        const retriesAllowed = this.budget.snapshot(key).allowed;
        let cells = await claim(limit, retriesAllowed < limit);
        if (retriesAllowed > 0 && retriesAllowed < limit && cells.length < limit && !this.stopping) {
          cells = cells.concat(await claim(Math.min(limit - cells.length, retriesAllowed), false));
        }
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

  private async launch(cells: ClaimedCell[]): Promise<void> {
    this.emit({ type: 'claimed', cells });
    for (const cell of cells) {
      const key = regionModelKey(cell.region, cell.modelId);
      // A call lost with a crashed runner's lease is re-run as a retry too: it calls the upstream again.
      if (cell.failures === 0 && cell.leaseLosses === 0) this.budget.recordFirstAttempt(key);
      else this.budget.tryRetry(key);
      const job = await this.spec(cell.jobId);
      const run = new CellRun(cell, job.spec, job.traceparent, this.opts, this.stores.queue, this.provider, this.guard(key), this.emit);
      let settle = () => undefined as void;
      const done = new Promise<void>((resolve) => { settle = resolve; });
      this.inFlight.set(cell.id, { cell, run, phase: 'ready', abort: new AbortController(), done, settle });
      const queue = this.ready.get(key) ?? [];
      queue.push(run);
      this.ready.set(key, queue);
    }
    this.dispatch();
  }

  /** Starts calls for ready cells while their (region, model), region and runner have free provider slots. */
  private dispatch(): void {
    const batch: InFlight[] = [];
    for (const [key, queue] of this.ready) {
      const guard = this.guard(key);
      while (queue.length > 0 && !this.stopping) {
        const region = queue[0]!.cell.region;
        const concurrency = this.opts.config.regions[region]?.concurrency ?? 0;
        if (guard.claimable(concurrency) <= 0 || this.regionInFlight(region) >= concurrency || this.totalCalling() >= this.opts.maxConcurrency) break;
        const entry = this.inFlight.get(queue.shift()!.cell.id);
        if (!entry) continue;
        entry.phase = 'calling';
        this.calling.set(region, this.regionInFlight(region) + 1);
        guard.inFlight++;
        batch.push(entry);
      }
    }
    if (batch.length > 0) void this.startCalls(batch);
  }

  private async startCalls(batch: InFlight[]): Promise<void> {
    let allowed: Map<string, string>;
    try {
      allowed = await this.stores.queue.startAttempts(batch.map((e) => e.run.attemptStart()));
    } catch (err) {
      this.emit({ type: 'error', where: 'start attempts', message: String(err) });
      allowed = new Map();
    }
    for (const entry of batch) {
      const { run } = entry;
      const guard = this.guard(run.key);
      let slotFreed = false;
      // The provider slot frees as soon as the call returns, so the next call starts while this one is recorded.
      const freeSlot = () => {
        if (slotFreed) return;
        slotFreed = true;
        this.calling.set(run.cell.region, this.regionInFlight(run.cell.region) - 1);
        guard.inFlight--;
        this.dispatch();
        this.fill();
      };
      run.attemptId = allowed.get(run.cell.id) ?? null;
      const finished = run.attemptId !== null
        ? run.execute(entry.abort.signal, freeSlot)
        : Promise.resolve(); // lease already gone: nothing was called, nothing to record
      void finished.finally(() => {
        freeSlot();
        this.inFlight.delete(run.cell.id);
        entry.settle();
      });
    }
  }

  /** Takes a cell out of the ready queue without calling it: released on shutdown, cancelled, or its lease lost. */
  private async unready(entry: InFlight, reason: 'released' | 'cancelled' | 'deferred' | 'lost'): Promise<void> {
    const queue = this.ready.get(entry.run.key);
    const i = queue?.indexOf(entry.run) ?? -1;
    if (i < 0 || entry.phase !== 'ready') return;
    queue!.splice(i, 1);
    try {
      if (reason !== 'lost') await this.stores.queue.release(entry.cell, reason, reason === 'deferred' ? this.opts.breakerHalfOpenMs : 0);
    } catch (err) {
      this.emit({ type: 'error', where: `release ${entry.cell.id}`, message: String(err) });
    } finally {
      this.inFlight.delete(entry.cell.id);
      entry.settle();
    }
  }

  private readonly heartbeat = async (): Promise<void> => {
    const leases = [...this.inFlight.values()].map((f) => ({ id: f.cell.id, token: f.cell.leaseToken }));
    try {
      // A heartbeat that hangs (database unreachable without a reset) counts as failed after one interval.
      const { held, cancelled } = await withTimeout(this.stores.queue.heartbeat(this.opts.runnerId, leases, this.opts.leaseMs),
        this.opts.heartbeatMs, 'heartbeat timed out');
      this.lastHeartbeatOk = Date.now();
      if (this.selfFenced) {
        this.selfFenced = false;
        this.fill();
      }
      const lost = leases.filter((l) => !held.has(l.id) && this.inFlight.get(l.id)?.cell.leaseToken === l.token);
      if (lost.length) {
        this.emit({ type: 'lease_lost', cellIds: lost.map((l) => l.id), reason: 'lease no longer held' });
        for (const l of lost) this.stopCell(l.id, 'lease_lost');
      }
      for (const id of cancelled) this.stopCell(id, 'cancelled');
    } catch (err) {
      // Self-fence before the lease can expire: another daemon may soon be handed these cells.
      if (Date.now() - this.lastHeartbeatOk > this.opts.leaseMs - this.opts.heartbeatMs && !this.selfFenced) {
        this.selfFenced = true;
        this.emit({ type: 'lease_lost', cellIds: leases.map((l) => l.id), reason: `heartbeat failing: ${String(err)}` });
        for (const id of [...this.inFlight.keys()]) this.stopCell(id, 'lease_lost');
      }
      throw err;
    }
  };

  /** Aborts a cell's call, or takes it out of the ready queue if it was not called yet. */
  private stopCell(id: string, reason: 'lease_lost' | 'cancelled' | 'shutdown'): void {
    const entry = this.inFlight.get(id);
    if (!entry) return;
    if (entry.phase === 'ready') void this.unready(entry, reason === 'lease_lost' ? 'lost' : reason === 'cancelled' ? 'cancelled' : 'released');
    else entry.abort.abort(reason);
  }

  private readonly reap = async (): Promise<void> => {
    const cells = await this.stores.queue.reapCells(500, 1000, this.opts.config.limits.maxLeaseLossesPerCell);
    const count = cells.length;
    if (count > 0) {
      this.emit({ type: 'reaped', count, cells });
      this.wake();
    }
  };

  private readonly rollup = async (): Promise<void> => {
    for (const job of await this.stores.lifecycle.activeJobs()) {
      const status = rollupJobStatus({
        cancelled: job.cancelled, counts: job.counts, succeededRegions: job.succeededRegions,
        minRegions: job.minRegions, minSuccessRate: job.minSuccessRate, started: job.started,
      });
      if (status !== job.status && (await this.stores.lifecycle.setStatus(job.jobId, status, isTerminalJobStatus(status)))) {
        this.emit({ type: 'job_status', jobId: job.jobId, status });
        if (isTerminalJobStatus(status)) this.specs.delete(job.jobId);
      }
    }
  };

  private async spec(jobId: string): Promise<{ spec: NormalisedJobSpec; traceparent: string | null }> {
    let spec = this.specs.get(jobId);
    if (!spec) {
      const loaded = await this.stores.lifecycle.jobSpec(jobId);
      if (!loaded) throw new Error(`job ${jobId} has cells but no row`);
      spec = loaded;
      if (this.specs.size > 1000) this.specs.delete(this.specs.keys().next().value!);
      this.specs.set(jobId, spec);
    }
    return spec;
  }

  private guard(key: RegionModelKey): KeyGuard {
    let g = this.guards.get(key);
    if (!g) {
      g = new KeyGuard(key, this.opts.breakerFailures, this.opts.breakerHalfOpenMs, (state) => {
        this.emit({ type: 'breaker', key, state });
        // Cells claimed ahead for a key whose breaker just opened go back to the queue until the probe is due.
        if (state === 'open') {
          for (const run of [...(this.ready.get(key) ?? [])]) {
            const entry = this.inFlight.get(run.cell.id);
            if (entry) void this.unready(entry, 'deferred');
          }
        }
        if (state === 'closed') this.fill();
      });
      this.guards.set(key, g);
    }
    return g;
  }

  private regionInFlight(region: string): number {
    return this.calling.get(region) ?? 0;
  }

  private totalCalling(): number {
    let n = 0;
    for (const v of this.calling.values()) n += v;
    return n;
  }
}


function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
