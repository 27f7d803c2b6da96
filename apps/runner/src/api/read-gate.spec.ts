import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ApiError } from './api-error.js';
import { ReadGate } from './read-gate.js';

const turn = () => new Promise((r) => setImmediate(r));
const status = (err: unknown) =>
  err instanceof ApiError ? { status: err.getStatus(), body: err.getResponse(), headers: err.headers } : err;

describe('ReadGate', () => {
  it('admits `concurrency` reads at once, queues the next ones in arrival order and refuses past the queue with 503 read_busy', async () => {
    const gate = new ReadGate(2, 2);
    const order: number[] = [];
    const releases = await Promise.all([gate.enter(), gate.enter()]);
    expect(gate.state).toEqual({ running: 2, waiting: 0 });
    const third = gate.enter().then((r) => (order.push(3), r));
    const fourth = gate.enter().then((r) => (order.push(4), r));
    expect(gate.state).toEqual({ running: 2, waiting: 2 });
    const refused = await gate.enter().catch(status);
    expect(refused).toEqual({
      status: 503,
      body: { error: 'read_busy', message: expect.stringContaining('2 reads in progress and 2 waiting') },
      headers: { 'retry-after': '1' },
    });
    releases[1]();
    releases[1](); // a second call gives nothing back
    await turn();
    expect(order).toEqual([3]);
    expect(gate.state).toEqual({ running: 2, waiting: 1 });
    releases[0]();
    await Promise.all([third, fourth]);
    expect(order).toEqual([3, 4]);
    (await third)();
    (await fourth)();
    expect(gate.state).toEqual({ running: 0, waiting: 0 });
  });

  it('a slot handed on is not taken by a read arriving meanwhile', async () => {
    const gate = new ReadGate(1, 5);
    const first = await gate.enter();
    const queued = gate.enter();
    first();
    // The slot is reserved for the waiting read until it runs in a later turn.
    const late = gate.enter();
    expect(gate.state).toEqual({ running: 1, waiting: 1 });
    (await queued)();
    (await late)();
    expect(gate.state).toEqual({ running: 0, waiting: 0 });
  });

  it('a waiting read whose client leaves gives up its place; one that waits too long gets 503', async () => {
    const gate = new ReadGate(1, 5, 50);
    const held = await gate.enter();
    const gone = new AbortController();
    const leaving = gate.enter(gone.signal).catch(status);
    const waiting = gate.enter().catch(status);
    gone.abort();
    expect(await leaving).toMatchObject({ status: 503, body: { error: 'read_busy' } });
    expect(gate.state).toEqual({ running: 1, waiting: 1 });
    expect(await waiting).toMatchObject({ status: 503, body: { message: expect.stringContaining('no read slot within 0.05 s') } });
    expect(gate.state).toEqual({ running: 1, waiting: 0 });
    held();
    expect(gate.state).toEqual({ running: 0, waiting: 0 });
    const aborted = new AbortController();
    aborted.abort();
    const other = await gate.enter();
    expect(await gate.enter(aborted.signal).catch(status)).toMatchObject({ status: 503 });
    other();
  });

  it('property: whatever the order of arrivals, releases and departures, never more than `concurrency` run, every read is admitted or refused, and all slots come back', async () => {
    type Step = { kind: 'arrive' } | { kind: 'release'; pick: number } | { kind: 'leave'; pick: number } | { kind: 'turn' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: 'arrive' as const }),
      fc.nat(20).map((pick) => ({ kind: 'release' as const, pick })),
      fc.nat(20).map((pick) => ({ kind: 'leave' as const, pick })),
      fc.constant({ kind: 'turn' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(step, { maxLength: 40 }),
        async (concurrency, queue, steps) => {
          const gate = new ReadGate(concurrency, queue, 60_000);
          const held: (() => void)[] = [];
          const pending: { gone: AbortController; settled: boolean }[] = [];
          let running = 0;
          let maxRunning = 0;
          let refused = 0;
          let admitted = 0;
          let arrived = 0;
          const arrive = () => {
            arrived++;
            const entry = { gone: new AbortController(), settled: false };
            pending.push(entry);
            gate.enter(entry.gone.signal).then(
              (release) => {
                entry.settled = true;
                admitted++;
                running++;
                maxRunning = Math.max(maxRunning, running);
                held.push(() => {
                  running--;
                  release();
                });
              },
              () => {
                entry.settled = true;
                refused++;
              },
            );
          };
          for (const s of steps) {
            if (s.kind === 'arrive') arrive();
            else if (s.kind === 'release' && held.length) held.splice(s.pick % held.length, 1)[0]!();
            else if (s.kind === 'leave') {
              const open = pending.filter((p) => !p.settled);
              if (open.length) open[s.pick % open.length]!.gone.abort();
            } else await turn();
            await Promise.resolve();
          }
          // Drain: release everything, turn by turn, until every read is settled.
          for (let i = 0; i < 200 && (held.length || pending.some((p) => !p.settled)); i++) {
            while (held.length) held.pop()!();
            await turn();
          }
          expect(maxRunning).toBeLessThanOrEqual(concurrency);
          expect(admitted + refused).toBe(arrived);
          expect(gate.state).toEqual({ running: 0, waiting: 0 });
        },
      ),
      { numRuns: 300 },
    );
  });
});
