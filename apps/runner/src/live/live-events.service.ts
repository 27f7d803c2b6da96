import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { LiveListener, connectionUrl } from '@beacon/db';
import { decodeLivePayload } from '@beacon/domain';
import { DataSource } from 'typeorm';
import { LiveEventHub } from './live-event.hub.js';
import { LIVE_EVENTS_OPTIONS, type LiveEventsOptions } from './live-events.options.js';
import { SseSession } from './sse-session.js';

/**
 * The daemon's live events: one LISTEN connection (opened when the first client arrives, reconnected on loss) feeding
 * a {@link LiveEventHub} that fans out to the SSE sessions.
 */
@Injectable()
export class LiveEventsService implements OnModuleDestroy {
  private readonly log = new Logger('live');
  readonly hub: LiveEventHub;
  readonly sessions = new Set<SseSession>();
  /** Open streams per client address, for `limits.maxEventStreamsPerClient`. */
  private readonly streamsByClient = new Map<string, number>();
  private listener: LiveListener | null = null;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly ds: DataSource,
    @Inject(LIVE_EVENTS_OPTIONS) readonly options: LiveEventsOptions,
  ) {
    this.hub = new LiveEventHub(options.ringSize);
  }

  /** Starts listening if not yet; resolves once LISTEN is in place (or rejects when the database is unreachable). */
  ensureListening(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      let first = true;
      this.listener = new LiveListener({
        url: connectionUrl(this.ds),
        applicationName: 'beacon-live',
        onPayload: (payload) => this.onPayload(payload),
        onListening: (reconnected) => {
          if (first) resolve();
          first = false;
          if (reconnected) {
            this.log.warn('live-event listener reconnected; events in between are lost');
            this.hub.broadcastGap({ dropped: 0, reason: 'listener_reconnected' });
          }
        },
        onError: (err) => {
          this.log.warn(`live-event listener: ${err.message}`);
          if (first) {
            first = false;
            this.ready = null;
            void this.listener?.stop();
            reject(err);
          }
        },
      });
      void this.listener.start();
    });
    return this.ready;
  }

  /**
   * Takes a stream slot for `client`, or names the cap that is reached (streams are long-lived: each holds a socket and
   * a frame buffer, so their number is bounded per daemon and per client address). `release` gives the slot back.
   */
  admit(client: string, max: number, maxPerClient: number): { release: () => void } | { refused: string } {
    const mine = this.streamsByClient.get(client) ?? 0;
    if (this.sessions.size >= max) return { refused: `too many live-event streams on this daemon (limits.maxEventStreams = ${max})` };
    if (mine >= maxPerClient)
      return { refused: `too many live-event streams from ${client} (limits.maxEventStreamsPerClient = ${maxPerClient})` };
    this.streamsByClient.set(client, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const n = (this.streamsByClient.get(client) ?? 1) - 1;
        if (n > 0) this.streamsByClient.set(client, n);
        else this.streamsByClient.delete(client);
      },
    };
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.listener?.listening ?? false;
  }

  async onModuleDestroy(): Promise<void> {
    // Open streams would keep the HTTP server from closing.
    for (const s of this.sessions) s.close();
    this.sessions.clear();
    await this.listener?.stop();
  }

  private onPayload(payload: string): void {
    try {
      this.hub.publish(decodeLivePayload(payload));
    } catch (err) {
      this.log.warn(`bad live-event payload: ${(err as Error).message}`);
    }
  }
}
