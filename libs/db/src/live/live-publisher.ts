import { type LiveEvent, encodeLiveEvent } from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { queryRows } from '../repositories/query.js';
import { LIVE_CHANNEL } from './live-listener.js';

/** How a {@link LivePublisher} batches. */
export interface LivePublisherOptions {
  /** Events are sent at most this long after they happen (default 50 ms). */
  flushMs?: number;
  /** Events waiting beyond this are dropped and counted (the database is not keeping up); default 50,000. */
  maxBuffered?: number;
  /** Bytes of one NOTIFY payload at most (PostgreSQL's limit is 8,000); default 7,000. */
  maxPayloadBytes?: number;
}

/**
 * Publishes live events on {@link LIVE_CHANNEL} in batches: every `flushMs` the waiting events go out as JSON arrays of
 * events in the domain's wire form (`encodeLiveEvent`, read back by `decodeLivePayload`), several payloads in one
 * statement. A busy daemon thus
 * sends a few NOTIFYs a second instead of one per queue write, so publishing costs the queue next to nothing.
 */
export class LivePublisher {
  private waiting: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  /** Events dropped because the buffer was full or a send failed. */
  dropped = 0;
  /** Events sent. */
  sent = 0;
  private readonly flushMs: number;
  private readonly maxBuffered: number;
  private readonly maxPayloadBytes: number;

  constructor(
    private readonly ds: DataSource,
    opts: LivePublisherOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 50;
    this.maxBuffered = opts.maxBuffered ?? 50_000;
    this.maxPayloadBytes = opts.maxPayloadBytes ?? 7_000;
  }

  /** Queues one event; never throws and never blocks the caller. */
  push(event: LiveEvent): void {
    if (this.waiting.length >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    const text = JSON.stringify(encodeLiveEvent(event));
    if (Buffer.byteLength(text) + 2 > this.maxPayloadBytes) {
      this.dropped++;
      return;
    }
    this.waiting.push(text);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Sends what is waiting (and waits for a send in progress). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.flushing = this.send(batch).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  /** Stops the timer and sends what is left. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async send(batch: string[]): Promise<void> {
    const payloads: string[] = [];
    let current: string[] = [];
    let bytes = 2;
    for (const ev of batch) {
      const size = Buffer.byteLength(ev) + 1;
      if (current.length > 0 && bytes + size > this.maxPayloadBytes) {
        payloads.push(`[${current.join(',')}]`);
        current = [];
        bytes = 2;
      }
      current.push(ev);
      bytes += size;
    }
    if (current.length > 0) payloads.push(`[${current.join(',')}]`);
    try {
      await queryRows(this.ds, 'SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n', [
        LIVE_CHANNEL,
        payloads,
      ]);
      this.sent += batch.length;
    } catch {
      this.dropped += batch.length;
    }
  }
}
