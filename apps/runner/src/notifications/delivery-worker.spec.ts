import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ClaimedDelivery, ClaimSink, DeliveryEnd } from '@beacon/db';
import type { NotificationEvent, PostResult, ResolvedSink } from '@beacon/domain';
import type { NotificationSender, PostOutcome } from '@beacon/engine';
import {
  DeliveryWorker,
  deliveryStep,
  INITIAL_DELIVERY_LOOP,
  type DeliveryInput,
  type DeliveryLoopState,
  type OutboxPort,
} from './delivery-worker.js';

// The loop against an in-memory outbox and a scripted receiver: no database, no HTTP.

describe('deliveryStep', () => {
  it('never claims with a claim under way, never holds more than `concurrency`, and stops only with nothing in flight', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.nat(99), { maxLength: 200 }), (concurrency, choices) => {
        let s: DeliveryLoopState = INITIAL_DELIVERY_LOOP;
        let outstanding = 0; // the claim under way: how many rows it asked for
        let delivering = 0; // POSTs the test has running
        const step = (input: DeliveryInput) => {
          const { next, claim } = deliveryStep(s, input, concurrency);
          if (claim > 0) {
            expect(outstanding).toBe(0);
            expect(claim).toBeLessThanOrEqual(concurrency - next.inFlight);
            outstanding = claim;
          }
          s = next;
          expect(s.inFlight).toBe(delivering);
          expect(s.inFlight).toBeLessThanOrEqual(concurrency);
          expect(s.polling).toBe(outstanding > 0);
          if (s.mode === 'stopped') expect([s.inFlight, outstanding]).toEqual([0, 0]);
        };
        step({ type: 'start' });
        for (const c of choices) {
          // Only inputs the world can send: a claim lands only when one is under way, a POST ends only when one runs.
          const options: (() => void)[] = [() => step({ type: 'tick' })];
          if (outstanding > 0)
            options.push(() => {
              const got = c % (outstanding + 1);
              outstanding = 0;
              delivering += got;
              step({ type: 'claimed', count: got });
            });
          if (delivering > 0)
            options.push(() => {
              delivering--;
              step({ type: 'finished' });
            });
          if (c % 17 === 0) options.push(() => step({ type: 'stop' }));
          options[c % options.length]!();
        }
        // Stopping always ends: land the claim, finish every POST.
        step({ type: 'stop' });
        if (outstanding > 0) {
          outstanding = 0;
          step({ type: 'claimed', count: 0 });
        }
        while (delivering > 0) {
          delivering--;
          step({ type: 'finished' });
        }
        expect(s.mode).toBe('stopped');
      }),
    );
  });

  it('claims again at once when a delivery finishes, and after a claim that met a tick', () => {
    let { next } = deliveryStep(INITIAL_DELIVERY_LOOP, { type: 'start' }, 2);
    ({ next } = deliveryStep(next, { type: 'tick' }, 2));
    expect(next).toEqual({ mode: 'polling', inFlight: 0, polling: true, again: true });
    const landed = deliveryStep(next, { type: 'claimed', count: 1 }, 2);
    expect(landed).toEqual({ next: { mode: 'polling', inFlight: 1, polling: true, again: false }, claim: 1 });
    const full = deliveryStep(landed.next, { type: 'claimed', count: 1 }, 2);
    expect(full).toEqual({ next: { mode: 'delivering', inFlight: 2, polling: false, again: false }, claim: 0 });
    expect(deliveryStep(full.next, { type: 'tick' }, 2).claim).toBe(0);
    expect(deliveryStep(full.next, { type: 'finished' }, 2)).toEqual({
      next: { mode: 'polling', inFlight: 1, polling: true, again: false },
      claim: 1,
    });
  });
});

interface Row {
  id: string;
  sinkId: string;
  state: 'pending' | 'delivering' | 'delivered' | 'dead';
  attempts: number;
  maxAttempts: number;
  dueAt: number;
  token: string | null;
  leaseUntil: number;
}

/** The outbox in memory, with the repository's rules: due rows leased with a token, fenced ends, one log row per claim. */
class FakeOutbox implements OutboxPort {
  rows: Row[] = [];
  log: { id: string; attempt: number; outcome: string }[] = [];
  private seq = 0;

  add(n: number, sinkId: string, maxAttempts: number): void {
    for (let i = 0; i < n; i++)
      this.rows.push({
        id: String(this.rows.length + 1),
        sinkId,
        state: 'pending',
        attempts: 0,
        maxAttempts,
        dueAt: 0,
        token: null,
        leaseUntil: 0,
      });
  }

  async claim(_runner: string, sinks: readonly ClaimSink[], limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    await Promise.resolve();
    const now = Date.now();
    const due = this.rows.filter((r) => sinks.some((s) => s.id === r.sinkId) && r.state === 'pending' && r.dueAt <= now).slice(0, limit);
    return due.map((r) => {
      r.state = 'delivering';
      r.attempts++;
      r.token = `t${++this.seq}`;
      r.leaseUntil = now + leaseMs;
      const event: NotificationEvent = {
        event: 'finding',
        finding: { id: r.id, ruleId: 'label_flip', severity: 'warning', jobId: null, summary: 's', evidence: {}, firstSeenAt: '' },
      };
      return {
        id: r.id,
        findingId: r.id,
        sinkId: r.sinkId,
        event,
        attempt: r.attempts,
        maxAttempts: r.maxAttempts,
        leaseToken: r.token,
        reclaimed: false,
      };
    });
  }

  async finish(d: ClaimedDelivery, end: DeliveryEnd): Promise<'won' | 'fenced'> {
    await Promise.resolve();
    const r = this.rows.find((x) => x.id === d.id)!;
    const won = r.token === d.leaseToken && r.state === 'delivering';
    this.log.push({ id: d.id, attempt: d.attempt, outcome: won ? end.outcome : 'fenced' });
    if (!won) return 'fenced';
    r.state = end.state;
    r.token = null;
    r.dueAt = Date.now() + end.delayMs;
    return 'won';
  }

  deadLetterLost(): Promise<{ id: string; sinkId: string }[]> {
    return Promise.resolve([]);
  }
}

/** A receiver answering each row's attempts from a script (the last entry repeats); counts POSTs per row and in flight. */
class ScriptedSender implements NotificationSender {
  posts = new Map<string, number>();
  maxConcurrent = 0;
  private current = 0;
  constructor(
    private readonly script: (id: string, attempt: number) => number | 'hang',
    private readonly delayMs = 2,
  ) {}

  async post(_sink: ResolvedSink, id: string, _e: NotificationEvent, signal?: AbortSignal): Promise<PostOutcome> {
    const attempt = (this.posts.get(id) ?? 0) + 1;
    this.posts.set(id, attempt);
    this.current++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.current);
    try {
      const answer = this.script(id, attempt);
      if (answer === 'hang') {
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
        return { result: { kind: 'timeout', message: 'aborted' }, latencyMs: 1 };
      }
      await new Promise((r) => setTimeout(r, this.delayMs));
      const result: PostResult = { kind: 'http', status: answer, retryAfterMs: null, excerpt: '' };
      return { result, latencyMs: this.delayMs };
    } finally {
      this.current--;
    }
  }

  async close(): Promise<void> {}
}

const sink = (id: string): ResolvedSink => ({
  id,
  kind: 'webhook',
  url: 'http://127.0.0.1:1/x',
  host: '127.0.0.1:1',
  secret: 'k'.repeat(32),
  timeoutMs: 1000,
  maxAttempts: 3,
});

function worker(outbox: FakeOutbox, sender: NotificationSender, over: { concurrency?: number; graceMs?: number } = {}) {
  const attempts: string[] = [];
  const w = new DeliveryWorker(
    {
      runnerId: 'unit',
      sinks: [sink('a'), sink('b')],
      concurrency: over.concurrency ?? 3,
      pollMs: 5,
      leaseMs: 60_000,
      shutdownGraceMs: over.graceMs ?? 1000,
      backoff: { baseMs: 1, factor: 2, capMs: 4 },
      onAttempt: (s, o) => attempts.push(`${s}:${o}`),
    },
    outbox,
    sender,
  );
  return { w, attempts };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('DeliveryWorker', () => {
  it('delivers every row, retrying 5xx and dead-lettering 4xx and rows out of attempts, within its concurrency', async () => {
    const outbox = new FakeOutbox();
    outbox.add(10, 'a', 3);
    outbox.add(10, 'b', 3);
    // Row n: 1 → 200 at once; 2 → 500 then 200; 3 → 404 (dead at once); 0 → always 503 (dead after 3).
    const sender = new ScriptedSender((id, attempt) => [503, 200, attempt === 1 ? 500 : 200, 404][Number(id) % 4]!);
    const { w, attempts } = worker(outbox, sender);
    w.start();
    await until(() => outbox.rows.every((r) => r.state === 'delivered' || r.state === 'dead'));
    await w.stop();
    expect(w.mode).toBe('stopped');
    expect(sender.maxConcurrent).toBeLessThanOrEqual(3);
    for (const r of outbox.rows) {
      const kind = Number(r.id) % 4;
      const expected = { 0: ['dead', 3], 1: ['delivered', 1], 2: ['delivered', 2], 3: ['dead', 1] }[kind]!;
      expect([r.id, r.state, r.attempts, sender.posts.get(r.id)]).toEqual([r.id, expected[0], expected[1], expected[1]]);
      expect(outbox.log.filter((l) => l.id === r.id).map((l) => l.outcome)).toEqual(
        { 0: ['retry', 'retry', 'dead'], 1: ['delivered'], 2: ['retry', 'delivered'], 3: ['dead'] }[kind],
      );
    }
    expect(attempts.length).toBe(outbox.log.length);
  });

  it('at shutdown posts what its last claim leased, then aborts POSTs that outlive the grace period', async () => {
    const outbox = new FakeOutbox();
    outbox.add(2, 'a', 5);
    const sender = new ScriptedSender(() => 'hang');
    const { w } = worker(outbox, sender, { graceMs: 50 });
    w.start();
    await until(() => sender.posts.size === 2);
    const t0 = Date.now();
    await w.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(w.mode).toBe('stopped');
    // Aborted POSTs are timeouts: recorded as retries, back to pending for any daemon.
    expect(outbox.rows.map((r) => r.state)).toEqual(['pending', 'pending']);
    expect(outbox.log.map((l) => l.outcome)).toEqual(['retry', 'retry']);
  });
});
