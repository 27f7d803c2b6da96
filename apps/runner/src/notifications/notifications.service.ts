import { Inject, Injectable, Logger as NestLogger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { LiveListener, NOTIFY_CHANNEL, NotificationRepository, connectionUrl } from '@beacon/db';
import { DELIVERY_OUTCOMES, resolveSinks, type BeaconConfig, type ResolvedSink } from '@beacon/domain';
import { WebhookSender, type EngineOptions } from '@beacon/engine';
import type { BeaconMetrics } from '@beacon/observability';
import { DataSource } from 'typeorm';
import { BEACON_CONFIG, ENGINE_OPTIONS, METRICS } from '../tokens.js';
import { DeliveryWorker } from './delivery-worker.js';

/** A positive integer from the environment, else `fallback`. */
function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/**
 * Delivery settings, from the environment: `BEACON_NOTIFY=off` turns delivery off in this daemon;
 * `BEACON_NOTIFY_POLL_MS` (1,000), `BEACON_NOTIFY_CONCURRENCY` (4), `BEACON_NOTIFY_LEASE_MS` (the slowest sink's
 * timeout + 30 s), `BEACON_NOTIFY_BACKOFF_MS` (5,000: the first retry's nominal delay) and
 * `BEACON_NOTIFY_BACKOFF_CAP_MS` (600,000).
 */
export function deliverySettings(sinks: readonly ResolvedSink[]) {
  const slowest = Math.max(0, ...sinks.map((s) => s.timeoutMs));
  return {
    enabled: (process.env.BEACON_NOTIFY ?? '').toLowerCase() !== 'off',
    pollMs: envInt('BEACON_NOTIFY_POLL_MS', 1000),
    concurrency: envInt('BEACON_NOTIFY_CONCURRENCY', 4),
    // Never shorter than a POST can take: a live daemon must not lose the row it is posting.
    leaseMs: Math.max(envInt('BEACON_NOTIFY_LEASE_MS', slowest + 30_000), slowest + 1000),
    backoff: { baseMs: envInt('BEACON_NOTIFY_BACKOFF_MS', 5000), factor: 2, capMs: envInt('BEACON_NOTIFY_BACKOFF_CAP_MS', 600_000) },
  };
}

/**
 * The daemon's notification delivery: a {@link DeliveryWorker} over the configured sinks (with workers on, i.e. not
 * `--no-workers`, and `BEACON_NOTIFY` not `off`), woken by `beacon_notify` when findings are enqueued, started after
 * the API is up and stopped before it closes. Its attempts feed `beacon_notification_deliveries_total`, whose series
 * exist at 0 from the start for every configured sink and outcome.
 */
@Injectable()
export class NotificationsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new NestLogger('notify');
  readonly sinks: ResolvedSink[];
  private worker: DeliveryWorker | null = null;
  private sender: WebhookSender | null = null;
  private listener: LiveListener | null = null;

  constructor(
    private readonly ds: DataSource,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
    @Inject(ENGINE_OPTIONS) private readonly engine: EngineOptions | null,
    @Inject(METRICS) private readonly metrics: BeaconMetrics,
  ) {
    const { sinks, problems } = resolveSinks(config, process.env);
    // `beacon serve` refuses to start on these; a daemon built another way skips the sinks it cannot use, loudly.
    for (const p of problems) this.log.error(`${p.path}: ${p.message}; that sink is not delivered to`);
    this.sinks = sinks;
    for (const s of sinks) for (const outcome of DELIVERY_OUTCOMES) metrics.notificationDeliveries.inc({ sink: s.id, outcome }, 0);
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = deliverySettings(this.sinks);
    if (!this.engine || !settings.enabled || this.sinks.length === 0) return;
    this.sender = new WebhookSender();
    const worker = new DeliveryWorker(
      {
        runnerId: this.engine.runnerId,
        sinks: this.sinks,
        concurrency: settings.concurrency,
        pollMs: settings.pollMs,
        leaseMs: settings.leaseMs,
        shutdownGraceMs: Math.min(this.engine.shutdownGraceMs, 10_000),
        backoff: settings.backoff,
        onAttempt: (sink, outcome) => this.metrics.notificationDeliveries.inc({ sink, outcome }),
        onError: (where, err) => this.log.warn(`${where}: ${err instanceof Error ? err.message : String(err)}`),
      },
      new NotificationRepository(this.ds),
      this.sender,
    );
    this.worker = worker;
    worker.start();
    this.log.log(`delivering notifications to ${this.sinks.map((s) => `${s.id} (${s.kind}, ${s.host})`).join(', ')}`);
    // Without this connection new rows are still claimed, at the next poll.
    this.listener = new LiveListener({
      url: connectionUrl(this.ds),
      channel: NOTIFY_CHANNEL,
      applicationName: 'beacon-notify',
      onPayload: () => worker.wake(),
      onListening: (reconnected) => {
        if (reconnected) worker.wake();
      },
      onError: (err) => this.log.warn(`notify listener: ${err.message} (polling meanwhile)`),
    });
    await this.listener.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
    await this.worker?.stop();
    await this.sender?.close();
  }
}
