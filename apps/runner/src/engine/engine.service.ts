import os from 'node:os';
import { Inject, Injectable, Logger as NestLogger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  ControlsRepository,
  KEY_CONTROLS_CHANGED,
  LifecycleRepository,
  LiveListener,
  LivePublisher,
  QueueRepository,
  RunnerRepository,
  WORK_CHANNEL,
  connectionUrl,
} from '@beacon/db';
import { Engine, ReaperService, RollupService, type ChatProvider, type EngineEvent, type EngineOptions } from '@beacon/engine';
import { DataSource } from 'typeorm';
import type { BeaconConfig } from '@beacon/domain';
import type { BeaconMetrics } from '@beacon/observability';
import type { Logger } from '@beacon/observability';
import { engineLogListener } from '../observability/engine-log.listener.js';
import { configuredCategories, engineMetricsListener, primeMetrics } from '../observability/engine-metrics.listener.js';
import { engineLiveListener } from '../live/engine-live.listener.js';
import { BEACON_CONFIG, CHAT_PROVIDER, ENGINE_LISTENERS, ENGINE_OPTIONS, LOGGER, METRICS, OBSERVABILITY } from '../tokens.js';

/** Runs the worker engine inside the daemon: started after the API is up, stopped (gracefully) before it closes. */
@Injectable()
export class EngineService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new NestLogger('engine');
  readonly engine: Engine | null;
  /** Hears new work announced on {@link WORK_CHANNEL} and wakes the idle engine. */
  private wakeListener: LiveListener | null = null;

  constructor(
    private readonly ds: DataSource,
    @Inject(ENGINE_OPTIONS) private readonly opts: EngineOptions | null,
    @Inject(CHAT_PROVIDER) private readonly provider: ChatProvider,
    @Inject(ENGINE_LISTENERS) private readonly listeners: ((e: EngineEvent) => void)[],
    @Inject(METRICS) metrics: BeaconMetrics,
    @Inject(BEACON_CONFIG) readonly config: BeaconConfig,
    @Inject(LOGGER) log: Logger | null,
    @Inject(OBSERVABILITY) observe: boolean,
    private readonly live: LivePublisher,
  ) {
    // Every series the engine feeds exists at 0 from the start (issue 15.1), for the (region, model) pairs this daemon
    // serves and the question bank's categories.
    const categories = configuredCategories(config);
    if (observe) {
      primeMetrics(
        metrics,
        Object.values(config.models).flatMap((mdl) =>
          mdl.regions.filter((region) => !opts?.regions || opts.regions.includes(region)).map((region) => ({ region, model: mdl.id })),
        ),
        categories,
      );
    }
    this.listeners = [
      ...(observe ? [engineMetricsListener(metrics, categories)] : []),
      ...(log ? [engineLogListener(log)] : []),
      ...(opts ? [engineLiveListener(live, opts.runnerId)] : []),
      ...listeners,
    ];
    this.engine = opts ? this.compose(opts) : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.engine || !this.opts) return;
    await this.engine.start(process.env.npm_package_version ?? '0.1.0', os.hostname());
    this.log.log(`runner ${this.opts.runnerId} working on ${this.engine.regions.join(', ')}`);
    const engine = this.engine;
    // Without this connection the engine still finds new work, by polling (at most idlePollMaxMs late).
    this.wakeListener = new LiveListener({
      url: connectionUrl(this.ds),
      channel: WORK_CHANNEL,
      applicationName: 'beacon-wake',
      onPayload: (payload) => {
        // An operator's change of a (region, model)'s controls: its slots are resized here now, not at the next poll.
        if (payload === KEY_CONTROLS_CHANGED) engine.controlsChanged();
        engine.wake();
      },
      // After a reconnection, work and control changes announced in between were not heard.
      onListening: (reconnected) => {
        if (!reconnected) return;
        engine.controlsChanged();
        engine.wake();
      },
      onError: (err) => this.log.warn(`work listener: ${err.message} (polling meanwhile)`),
    });
    await this.wakeListener.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.engine) return;
    await this.wakeListener?.stop();
    await this.engine.stop();
    await this.provider.close();
    await this.live.close();
  }

  /**
   * The daemon's engine, and the daemon's one reaper and status roll-up beside it (rescuing expired leases and rolling
   * job statuses up are not a worker's duties); the engine starts and stops them with itself.
   */
  private compose(opts: EngineOptions): Engine {
    const stores = {
      queue: new QueueRepository(this.ds),
      lifecycle: new LifecycleRepository(this.ds),
      runners: new RunnerRepository(this.ds),
      controls: new ControlsRepository(this.ds),
    };
    const emit = (e: EngineEvent) => this.onEvent(e);
    const reaper = new ReaperService(stores.queue, opts, emit, () => engine.wake());
    const rollup = new RollupService(stores.lifecycle, opts, emit, (jobId) => engine.forgetJob(jobId));
    const engine = new Engine(opts, stores, this.provider, emit, { reaper, rollup });
    return engine;
  }

  /** Adds a listener of engine events after start-up (a feature module that reacts to them, e.g. drift detection on job ends). */
  subscribe(listener: (e: EngineEvent) => void): void {
    this.listeners.push(listener);
  }

  private onEvent(e: EngineEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener must not break the engine */
      }
    }
  }
}
