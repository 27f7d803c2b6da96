import type { ServerResponse } from 'node:http';
import { BoundedQueue, type LiveEventMatcher, type LiveGapView } from '@beacon/domain';
import { gapFrame, type LiveFrame, type LiveSink } from './live-event.hub.js';

/**
 * One live-tail client: frames wait in a bounded queue and leave in batches as fast as the socket drains. A client
 * that reads too slowly loses its oldest frames and is told how many with a `gap` event; memory stays bounded.
 */
export class SseSession implements LiveSink {
  private readonly queue: BoundedQueue<string>;
  private scheduled = false;
  private blocked = false;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  /** Frames written and frames dropped, for tests and the bench. */
  written = 0;
  dropped = 0;

  constructor(
    private readonly res: ServerResponse,
    readonly matcher: LiveEventMatcher,
    capacity: number,
    heartbeatMs: number,
  ) {
    this.queue = new BoundedQueue(capacity);
    this.heartbeat = setInterval(() => {
      if (!this.blocked && this.queue.size === 0) this.res.write(': heartbeat\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get buffered(): number {
    return this.queue.size;
  }

  deliver(frame: LiveFrame): void {
    this.enqueue(frame.frame);
  }

  gap(gap: LiveGapView): void {
    this.enqueue(gapFrame(gap));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
  }

  private enqueue(text: string): void {
    if (this.closed) return;
    this.queue.push(text);
    if (!this.scheduled && !this.blocked) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed || this.blocked) return;
    const dropped = this.queue.takeDropped();
    let batch = '';
    if (dropped > 0) {
      this.dropped += dropped;
      batch = gapFrame({ dropped, reason: 'slow_client' });
    }
    const n = this.queue.size;
    for (let i = 0; i < n; i++) batch += this.queue.shift();
    this.written += n;
    if (batch === '') return;
    if (!this.res.write(batch)) {
      this.blocked = true;
      this.res.once('drain', () => {
        this.blocked = false;
        this.flush();
      });
    }
  }
}
