import type { NormalisedJobSpec } from '@beacon/domain';
import type { ClaimedCell, ControlsRepository, LifecycleRepository, QueueRepository, RunnerRepository } from '@beacon/db';
import type { ChatProvider } from '../provider/chat-provider.js';
import { ReaperService } from '../services/reaper.service.js';
import { RollupService } from '../services/rollup.service.js';
import { CellRun } from './cell-run.js';
import { ClaimScheduler, type CellCalls, type ScheduledCall } from './claim-scheduler.js';
import type { EngineListener } from './engine.events.js';
import type { EngineOptions } from './engine.options.js';
import type { KeyGuard } from './key-guard.js';
import { LeaseKeeper } from './lease-keeper.js';

/** The repositories the engine works through. */
export interface EngineStores {
  queue: QueueRepository;
  lifecycle: LifecycleRepository;
  runners: RunnerRepository;
  /**
   * The operators' concurrency overrides, which size this engine's slots. Without it (a standalone engine in a test or
   * bench) the engine knows of no override, and claims nothing of a (region, model) that has one.
   */
  controls?: Pick<ControlsRepository, 'concurrencyOverrides'>;
}

/**
 * The daemon-level services the engine starts and stops with itself: the reaper and the status roll-up. A daemon makes
 * one of each (null: another engine of the same daemon runs it); an engine given none makes its own, as a standalone
 * runner (tests, benches) needs them.
 */
export interface EngineServices {
  reaper: ReaperService | null;
  rollup: RollupService | null;
}

/**
 * The worker side of a runner, composed of its duties: the claim scheduler (what to claim, when calls start, shutdown),
 * the lease keeper (heartbeats, self-fencing), CellRun (one call, recorded fenced by its lease) and the daemon's reaper
 * and roll-up. All state that matters lives in Postgres; this object only holds the calls in flight.
 */
export class Engine {
  private readonly scheduler: ClaimScheduler<CellRun>;
  private readonly leases: LeaseKeeper;
  private readonly services: EngineServices;
  /** Job specs by job id (bounded; a job's entry goes when it ends). */
  private readonly specs = new Map<string, { spec: NormalisedJobSpec; traceparent: string | null }>();
  private started = false;
  private stopping = false;

  constructor(
    private readonly opts: EngineOptions,
    private readonly stores: EngineStores,
    private readonly provider: ChatProvider,
    private readonly emit: EngineListener = () => undefined,
    services?: EngineServices,
  ) {
    const calls: CellCalls<CellRun> = { prepare: (cell, guard) => this.prepare(cell, guard), start: (batch) => this.startCalls(batch) };
    this.scheduler = new ClaimScheduler(opts, stores.queue, calls, emit, stores.controls ?? null);
    this.leases = new LeaseKeeper(opts, stores.queue, this.scheduler, emit, opts.random);
    this.services = services ?? {
      reaper: new ReaperService(stores.queue, opts, emit, () => this.wake()),
      rollup: new RollupService(stores.lifecycle, opts, emit, (jobId) => this.forgetJob(jobId)),
    };
  }

  /** Regions this runner works on. */
  get regions(): string[] {
    return this.scheduler.regions;
  }

  /** Per (region, model) this runner knows: calls in flight and breaker state, for metrics. */
  snapshot(): { region: string; model: string; inFlight: number; breaker: 'closed' | 'half_open' | 'open' }[] {
    return this.scheduler.snapshot();
  }

  /** Cells this runner holds right now (waiting for a slot or calling). */
  get inFlightCount(): number {
    return this.scheduler.heldCount;
  }

  /** Registers the runner and starts claiming, heartbeats, the reaper and the status roll-up. */
  async start(version: string, host: string): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.stores.runners.register({ id: this.opts.runnerId, host, pid: process.pid, regions: this.opts.regions, version });
    this.leases.start();
    this.services.reaper?.start();
    this.services.rollup?.start();
    this.scheduler.start();
  }

  /**
   * Stops claiming, lets in-flight calls finish within the grace period, then aborts and releases the rest (their
   * attempts are recorded `released`, not failed), rolls job statuses up a last time and marks the runner stopped.
   * Heartbeats go on until no cell is held. No cell is left running.
   */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    this.services.reaper?.windDown();
    this.services.rollup?.windDown();
    await this.scheduler.stop();
    this.leases.stop();
    this.services.reaper?.stop();
    this.services.rollup?.stop();
    await this.services.rollup?.rollup().catch(() => undefined);
    await this.stores.runners.stopped(this.opts.runnerId).catch(() => undefined);
  }

  /**
   * New work may be runnable (a job was submitted, cells were requeued): every (region, model) is claimed again now,
   * whatever its idle wait.
   */
  wake(): void {
    this.scheduler.wake();
  }

  /**
   * An operator changed a (region, model)'s controls (announced by NOTIFY): re-reads the concurrency overrides and
   * resizes the slots of each key whose limit changed.
   */
  controlsChanged(): void {
    void this.scheduler.refreshControls().catch((err: unknown) => this.emit({ type: 'error', where: 'controls', message: String(err) }));
  }

  /** Claims as much work as there is room for, one statement per (region, model) with free slots. */
  fill(): void {
    this.scheduler.fill();
  }

  /** A job ended: its spec is no longer needed. */
  forgetJob(jobId: string): void {
    this.specs.delete(jobId);
  }

  private async prepare(cell: ClaimedCell, guard: KeyGuard): Promise<CellRun> {
    const job = await this.spec(cell.jobId);
    return new CellRun(cell, job.spec, job.traceparent, this.opts, this.stores.queue, this.provider, guard, this.emit);
  }

  /** Writes the batch's attempt rows in one statement, then calls each cell whose lease still held when it was written. */
  private startCalls(batch: ScheduledCall<CellRun>[]): Promise<void>[] {
    const failed = (err: unknown) => {
      this.emit({ type: 'error', where: 'start attempts', message: String(err) });
      return new Map<string, string>();
    };
    let allowed: Promise<Map<string, string>>;
    try {
      allowed = this.stores.queue.startAttempts(batch.map((c) => c.run.attemptStart())).catch(failed);
    } catch (err) {
      allowed = Promise.resolve(failed(err));
    }
    return batch.map(async ({ cell, run, signal, callEnded }) => {
      run.attemptId = (await allowed).get(cell.id) ?? null;
      if (run.attemptId !== null) return run.execute(signal, callEnded);
      // Not called: the lease is gone (then this changes nothing), or an operator paused the cell's job or (region,
      // model) or drained this daemon after it was claimed ahead: it goes back to the queue now rather than when its
      // lease runs out.
      await this.stores.queue.release(cell, 'released').catch((err: unknown) => {
        this.emit({ type: 'error', where: `release ${cell.id}`, message: String(err) });
      });
    });
  }

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
}
