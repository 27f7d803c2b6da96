import {
  BoundedQueue,
  type LiveEventBody,
  type LiveEventMatcher,
  type LiveEventView,
  type LiveGapView,
  matchesLiveFilter,
  redactSecrets,
} from '@beacon/domain';

/** One numbered event with its SSE frame, serialised once for every client. */
export interface LiveFrame {
  seq: number;
  event: LiveEventView;
  frame: string;
}

/** Receives the frames of one subscription. */
export interface LiveSink {
  matcher: LiveEventMatcher;
  deliver(frame: LiveFrame): void;
  gap(gap: LiveGapView): void;
}

/** SSE text of a gap notice (no id: it does not move the client's resume point). */
export function gapFrame(gap: LiveGapView): string {
  return `event: gap\ndata: ${JSON.stringify(gap)}\n\n`;
}

/**
 * Numbers the events one daemon hears and fans them out to its stream clients; keeps the last `ringSize` for
 * `Last-Event-ID` resumes. Sequence numbers are contiguous from a start derived from the boot time, so a number
 * from before a restart is recognisably older than anything this process has.
 */
export class LiveEventHub {
  private readonly ring: BoundedQueue<LiveFrame>;
  private readonly sinks = new Set<LiveSink>();
  private nextSeq: number;
  private published = 0;

  constructor(
    ringSize = 10_000,
    private readonly firstSeq = Date.now() * 1000,
  ) {
    this.ring = new BoundedQueue(ringSize);
    this.nextSeq = firstSeq;
  }

  get clients(): number {
    return this.sinks.size;
  }

  get total(): number {
    return this.published;
  }

  publish(bodies: LiveEventBody[]): void {
    for (const body of bodies) {
      const seq = this.nextSeq++;
      const event: LiveEventView = { seq: String(seq), ...body };
      // Serialised once for every client, and redacted once: a finding's summary quotes stored text.
      const frame: LiveFrame = { seq, event, frame: `id: ${seq}\nevent: ${event.kind}\ndata: ${redactSecrets(JSON.stringify(event))}\n\n` };
      this.ring.push(frame);
      this.published++;
      for (const sink of this.sinks) if (matchesLiveFilter(sink.matcher, event)) sink.deliver(frame);
    }
  }

  /** Tells every client that events may have been missed (the database listener reconnected). */
  broadcastGap(gap: LiveGapView): void {
    for (const sink of this.sinks) sink.gap(gap);
  }

  /**
   * Adds a client; with `lastEventId`, first replays the buffered events after it, or reports a gap when the ring no
   * longer reaches back that far. Returns the unsubscribe function.
   */
  subscribe(sink: LiveSink, lastEventId: string | null): () => void {
    if (lastEventId !== null) this.replay(sink, lastEventId);
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  private replay(sink: LiveSink, lastEventId: string): void {
    const last = /^\d{1,16}$/.test(lastEventId) ? Number(lastEventId) : NaN;
    const frames = this.ring.toArray();
    const oldest = frames[0]?.seq ?? this.nextSeq;
    if (Number.isNaN(last) || last >= this.nextSeq || last < this.firstSeq - 1) {
      // Not one of this process's numbers (another daemon, or before a restart): what was missed is unknown.
      sink.gap({ dropped: 0, reason: 'resume_unavailable' });
      return;
    }
    if (last + 1 < oldest) sink.gap({ dropped: oldest - last - 1, reason: 'resume_unavailable' });
    for (const f of frames.slice(Math.max(0, last + 1 - oldest))) {
      if (matchesLiveFilter(sink.matcher, f.event)) sink.deliver(f);
    }
  }
}
