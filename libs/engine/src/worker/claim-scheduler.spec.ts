import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { defaultConfig, regionModelKey, type BeaconConfig } from '@beacon/domain';
import type { ClaimedCell, ClaimRequest, ReleaseReason } from '@beacon/db';
import {
  ClaimScheduler,
  INITIAL_LOOP,
  keySlots,
  schedulerStep,
  type CellCalls,
  type ClaimSource,
  type LoopState,
  type OverrideSource,
  type ScheduledCall,
  type SchedulerOptions,
} from './claim-scheduler.js';

// The scheduler against an in-memory queue and fake timers: no database, no provider, no real waiting.

const REGIONS = ['r1', 'r2'];
const MODELS = ['m1', 'm2'];

function config(concurrency = 4): BeaconConfig {
  const base = defaultConfig();
  const template = Object.values(base.regions)[0]!;
  return {
    ...base,
    regions: Object.fromEntries(REGIONS.map((id) => [id, { ...template, id, concurrency }])),
    models: Object.fromEntries(MODELS.map((id) => [id, { id, name: id, regions: [...REGIONS] }])),
  };
}

function options(over: Partial<SchedulerOptions> = {}): SchedulerOptions {
  return {
    runnerId: 'unit',
    config: config(),
    regions: null,
    leaseMs: 30_000,
    pollMs: 100,
    idlePollMaxMs: 800,
    maxConcurrency: 512,
    shutdownGraceMs: 1_000,
    controlsPollMs: 1_000,
    breakerFailures: 2,
    breakerHalfOpenMs: 5_000,
    retryBudgetRatio: 0.2,
    retryBudgetWindowMs: 60_000,
    retryBudgetMinPerSecond: 1,
    random: () => 0.5, // no jitter: poll ticks exactly every pollMs
    ...over,
  };
}

let seq = 0;
function cell(region: string, modelId: string, over: Partial<ClaimedCell> = {}): ClaimedCell {
  seq++;
  return {
    id: String(seq),
    jobId: 'job',
    questionId: 'q',
    modelId,
    region,
    variant: '',
    replicate: 0,
    attempt: 1,
    failures: 0,
    maxAttempts: 4,
    leaseToken: `token-${seq}`,
    traceId: 't',
    leaseLosses: 0,
    ...over,
  };
}

/** The queue in memory: pending cells per (region, model), every claim and release written down. */
class FakeQueue implements ClaimSource {
  readonly pending = new Map<string, ClaimedCell[]>();
  readonly claims: (ClaimRequest & { at: number; got: number })[] = [];
  readonly releases: { id: string; reason: ReleaseReason; delayMs: number }[] = [];
  /** The claim the test holds back, once made; the test answers it. */
  hold: { release: (cells: ClaimedCell[]) => void } | null = null;
  private holdKey: string | null = null;

  add(region: string, model: string, n: number): void {
    const key = regionModelKey(region, model);
    this.pending.set(key, [...(this.pending.get(key) ?? []), ...Array.from({ length: n }, () => cell(region, model))]);
  }

  /** The next claim of this (region, model) waits for the test to answer it. */
  holdNextClaim(region: string, model: string): void {
    this.holdKey = regionModelKey(region, model);
  }

  claimsOf(region: string, model: string) {
    return this.claims.filter((c) => c.region === region && c.modelId === model);
  }

  async claim(req: ClaimRequest): Promise<ClaimedCell[]> {
    if (this.holdKey === regionModelKey(req.region, req.modelId)) {
      this.holdKey = null;
      return new Promise((resolve) => {
        this.hold = {
          release: (cells) => {
            this.claims.push({ ...req, at: Date.now(), got: cells.length });
            resolve(cells);
          },
        };
      });
    }
    const queue = this.pending.get(regionModelKey(req.region, req.modelId)) ?? [];
    const got = queue.splice(0, req.limit);
    this.claims.push({ ...req, at: Date.now(), got: got.length });
    return got;
  }

  release(c: ClaimedCell, reason: ReleaseReason, delayMs = 0): Promise<boolean> {
    this.releases.push({ id: c.id, reason, delayMs });
    return Promise.resolve(true);
  }
}

/** Calls that last until the test ends them, or until aborted (then they end at once, as a released call does). */
class FakeCalls implements CellCalls<string> {
  readonly running = new Map<string, { call: ScheduledCall<string>; end: () => void }>();
  readonly started: string[] = [];
  /** The (region, model) of each call started, in order. */
  readonly startedKeys: string[] = [];
  readonly aborted: { id: string; reason: unknown }[] = [];

  prepare(c: ClaimedCell): Promise<string> {
    return Promise.resolve(c.id);
  }

  start(batch: ScheduledCall<string>[]): Promise<void>[] {
    return batch.map(
      (call) =>
        new Promise<void>((resolve) => {
          const end = () => {
            if (!this.running.delete(call.cell.id)) return;
            call.callEnded();
            resolve();
          };
          this.started.push(call.cell.id);
          this.startedKeys.push(`${call.cell.region}/${call.cell.modelId}`);
          this.running.set(call.cell.id, { call, end });
          call.signal.addEventListener('abort', () => {
            this.aborted.push({ id: call.cell.id, reason: call.signal.reason });
            end();
          });
        }),
    );
  }

  /** Ends `n` calls (oldest first), or all. */
  finish(n = Infinity): void {
    for (const { end } of [...this.running.values()].slice(0, n)) end();
  }

  runningIn(region: string): number {
    return [...this.running.values()].filter((r) => r.call.cell.region === region).length;
  }
}

/** The operators' overrides in memory: the test sets them, the scheduler reads them as it would `key_controls`. */
class FakeControls implements OverrideSource {
  rows: { region: string; modelId: string; concurrency: number }[] = [];
  reads = 0;

  set(region: string, modelId: string, concurrency: number | null): void {
    this.rows = this.rows.filter((r) => !(r.region === region && r.modelId === modelId));
    if (concurrency !== null) this.rows.push({ region, modelId, concurrency });
  }

  concurrencyOverrides() {
    this.reads++;
    return Promise.resolve(this.rows.map((r) => ({ ...r })));
  }
}

/** Lets every promise chain run (setImmediate is left real: it fires once microtasks are drained). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('schedulerStep', () => {
  const step = (s: LoopState, ...inputs: Parameters<typeof schedulerStep>[1][]) =>
    inputs.reduce<{ next: LoopState; startRound: boolean }>((acc, i) => schedulerStep(acc.next, i), { next: s, startRound: false });

  it('starts a round on start, then one more for fills asked during it, then waits', () => {
    expect(schedulerStep(INITIAL_LOOP, 'fill')).toEqual({ next: INITIAL_LOOP, startRound: false });
    const polling = schedulerStep(INITIAL_LOOP, 'start');
    expect(polling).toEqual({ next: { mode: 'polling', roundUnderWay: true, again: false }, startRound: true });
    const asked = schedulerStep(polling.next, 'fill');
    expect(asked).toEqual({ next: { mode: 'polling', roundUnderWay: true, again: true }, startRound: false });
    expect(schedulerStep(asked.next, 'round_done')).toEqual({
      next: { mode: 'polling', roundUnderWay: true, again: false },
      startRound: true,
    });
    expect(step(polling.next, 'round_done').next).toEqual({ mode: 'waiting', roundUnderWay: false, again: false });
  });

  it('claims nothing while fenced, and follows a round still out when unfenced', () => {
    const fenced = step(INITIAL_LOOP, 'start', 'fence');
    expect(fenced.next).toEqual({ mode: 'fenced', roundUnderWay: true, again: false });
    expect(schedulerStep(fenced.next, 'fill').startRound).toBe(false);
    expect(schedulerStep(fenced.next, 'unfence')).toEqual({
      next: { mode: 'polling', roundUnderWay: true, again: true },
      startRound: false,
    });
    const idle = step(fenced.next, 'round_done');
    expect(idle.next.mode).toBe('fenced');
    expect(schedulerStep(idle.next, 'unfence').startRound).toBe(true);
  });

  it('never claims once stopping, and ends released', () => {
    const stopping = step(INITIAL_LOOP, 'start', 'stop');
    expect(stopping.next).toEqual({ mode: 'stopping', roundUnderWay: true, again: false });
    for (const i of ['fill', 'unfence', 'start', 'round_done'] as const) expect(schedulerStep(stopping.next, i).startRound).toBe(false);
    expect(step(stopping.next, 'round_done', 'drained').next.mode).toBe('released');
    expect(schedulerStep(INITIAL_LOOP, 'stop').next.mode).toBe('released');
    expect(schedulerStep({ mode: 'released', roundUnderWay: false, again: false }, 'start').startRound).toBe(false);
  });
});

describe('ClaimScheduler', () => {
  let queue: FakeQueue;
  let calls: FakeCalls;
  let scheduler: ClaimScheduler<string>;
  let controls: FakeControls;
  const make = (over: Partial<SchedulerOptions> = {}) => {
    scheduler = new ClaimScheduler(options(over), queue, calls, () => undefined, controls);
    return scheduler;
  };

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'], now: 1_000_000 });
    queue = new FakeQueue();
    calls = new FakeCalls();
    controls = new FakeControls();
  });

  afterEach(async () => {
    calls.finish();
    const stopped = scheduler.stop();
    await jest.advanceTimersByTimeAsync(2_000);
    await stopped;
    jest.useRealTimers();
  });

  it('claims every (region, model) once per round, in order, and a flooded key takes only its slots and claim-ahead', async () => {
    queue.add('r1', 'm1', 100);
    queue.add('r1', 'm2', 3);
    queue.add('r2', 'm1', 3);
    queue.add('r2', 'm2', 3);
    expect(make().mode).toBe('starting');
    scheduler.start();
    expect(scheduler.mode).toBe('polling');
    await settle();
    expect(scheduler.mode).toBe('waiting');
    expect(queue.claims.map((c) => `${c.region}/${c.modelId}`)).toEqual(['r1/m1', 'r1/m2', 'r2/m1', 'r2/m2']);
    // r1/m1: 4 slots + 1 ahead, however much is pending; r1/m2 finds the region's slots taken and claims one ahead.
    expect(queue.claimsOf('r1', 'm1')[0]).toMatchObject({ limit: 5, got: 5 });
    expect(queue.claimsOf('r1', 'm2')[0]).toMatchObject({ limit: 1, got: 1 });
    expect(calls.runningIn('r1')).toBe(4);
    expect(calls.runningIn('r2')).toBe(4); // the flood in r1 holds nothing up in r2
    expect(queue.pending.get(regionModelKey('r1', 'm1'))!.length).toBe(95);

    // Once a key's room is taken, a round gives it no statement: the flood costs nothing to the other keys.
    calls.finish();
    await settle();
    const before = queue.claims.length;
    await jest.advanceTimersByTimeAsync(100);
    expect(queue.claims.slice(before).every((c) => c.limit > 0)).toBe(true);
    expect(calls.runningIn('r1')).toBeLessThanOrEqual(4);
  });

  it("shares a region's freed slots between its models: a flooded model does not starve the other", async () => {
    queue.add('r1', 'm1', 100);
    queue.add('r1', 'm2', 10);
    make().start();
    await settle();
    // Calls end one at a time, as they do; each freed r1 slot goes to one of the two models' claimed-ahead cells.
    for (let i = 0; i < 30; i++) {
      calls.finish(1);
      await settle();
      await jest.advanceTimersByTimeAsync(10);
    }
    const r1 = calls.startedKeys.filter((k) => k.startsWith('r1/'));
    expect(r1.filter((k) => k === 'r1/m2').length).toBe(10);
    expect(queue.pending.get(regionModelKey('r1', 'm1'))!.length).toBeGreaterThan(50);
    // Turn about while both have work: never more than two r1/m1 calls in a row after the first slots.
    const afterFirst = r1.slice(4, r1.lastIndexOf('r1/m2') + 1).join(' ');
    expect(afterFirst).not.toContain('r1/m1 r1/m1 r1/m1');
  });

  it('claims an empty key less and less often, up to idlePollMaxMs, and a wake claims it at once', async () => {
    make().start();
    await settle();
    await jest.advanceTimersByTimeAsync(2_400);
    const t0 = 1_000_000;
    // Waits of 100, 200, 400, then 800 (the cap), 800, ...
    expect(queue.claimsOf('r1', 'm1').map((c) => c.at - t0)).toEqual([0, 100, 300, 700, 1_500, 2_300]);
    expect(queue.claimsOf('r2', 'm2').map((c) => c.at - t0)).toEqual([0, 100, 300, 700, 1_500, 2_300]);

    // New work announced: claimed at once, and finding some resets the backoff.
    queue.add('r1', 'm1', 1);
    scheduler.wake();
    await settle();
    const woke = Date.now() - t0;
    expect(queue.claimsOf('r1', 'm1').at(-1)).toMatchObject({ got: 1 });
    expect(queue.claimsOf('r1', 'm1').at(-1)!.at - t0).toBe(woke);
    calls.finish();
    await settle();
    const from = queue.claimsOf('r1', 'm1').length;
    await jest.advanceTimersByTimeAsync(1_000);
    const next = queue
      .claimsOf('r1', 'm1')
      .slice(from)
      .map((c) => c.at - t0 - woke);
    // Quiet until the next poll tick (the wake found less than it asked for), then waits of 100, 200, 400 again.
    expect(next).toEqual([100, 200, 400, 800]);
  });

  it('starts the next call from the claim-ahead buffer the moment a slot frees, and keeps that buffer bounded', async () => {
    queue.add('r1', 'm1', 20);
    make().start();
    await settle();
    expect(queue.claimsOf('r1', 'm1')[0]).toMatchObject({ limit: 5, got: 5 });
    expect(calls.started.length).toBe(4);
    expect(scheduler.heldCount).toBe(5);

    const first = [...calls.running.keys()][0]!;
    calls.running.get(first)!.call.callEnded(); // the provider answered; its outcome is still being recorded
    // The buffered cell is called before any claim round trip.
    expect(calls.started.length).toBe(5);
    await settle();
    // Then the buffer is topped up by one, never beyond a quarter of the region's concurrency.
    expect(queue.claimsOf('r1', 'm1').map((c) => c.limit)).toEqual([5, 1]);
    expect(scheduler.heldCount).toBe(6); // 4 calling, 1 recording, 1 ahead
    for (let i = 0; i < 3; i++) {
      await jest.advanceTimersByTimeAsync(100);
      expect(scheduler.heldCount).toBe(6);
    }
    expect(calls.runningIn('r1')).toBe(5);
  });

  it('gives claimed-ahead cells back when a breaker opens, claims nothing for that key until the probe is due, then one probe', async () => {
    queue.add('r1', 'm1', 10);
    queue.add('r2', 'm1', 10);
    make().start();
    await settle();
    const key = regionModelKey('r1', 'm1');
    const ahead = [...calls.running.keys()].length;
    expect(ahead).toBe(8);
    // Two health failures in a row open the breaker (breakerFailures: 2).
    const guard = scheduler.guard(key);
    for (let i = 0; i < 2; i++)
      await guard.breaker
        .execute(() => {
          throw new Error('503');
        })
        .catch(() => undefined);
    expect(guard.open).toBe(true);
    await settle();
    expect(queue.releases).toEqual([{ id: expect.any(String), reason: 'deferred', delayMs: 5_000 }]);

    calls.finish();
    await settle();
    const before = queue.claimsOf('r1', 'm1').length;
    await jest.advanceTimersByTimeAsync(4_000);
    scheduler.wake();
    await settle();
    expect(queue.claimsOf('r1', 'm1').length).toBe(before); // open: not one statement for it
    expect(queue.claimsOf('r2', 'm1').length).toBeGreaterThan(1); // the other keys go on

    await jest.advanceTimersByTimeAsync(1_000); // the probe is due
    scheduler.wake();
    await settle();
    expect(queue.claimsOf('r1', 'm1').at(-1)).toMatchObject({ limit: 1, got: 1 });
    expect(calls.runningIn('r1')).toBe(1);
    await jest.advanceTimersByTimeAsync(300);
    expect(queue.claimsOf('r1', 'm1').at(-1)).toMatchObject({ limit: 1 }); // no second cell while the probe runs
    expect(calls.runningIn('r1')).toBe(1);
  });

  it('claims nothing while fenced, and resumes when unfenced', async () => {
    queue.add('r1', 'm1', 1);
    make().start();
    await settle();
    scheduler.fence();
    expect(scheduler.mode).toBe('fenced');
    queue.add('r2', 'm2', 1);
    const before = queue.claims.length;
    scheduler.wake();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(queue.claims.length).toBe(before);
    scheduler.unfence();
    await settle();
    expect(queue.claimsOf('r2', 'm2').at(-1)).toMatchObject({ got: 1 });
  });

  it('on stop: claims no more, lets the claim under way land, releases cells not called, resolves when calls are done', async () => {
    queue.add('r1', 'm1', 5);
    make().start();
    await settle();
    expect(calls.runningIn('r1')).toBe(4);
    queue.holdNextClaim('r2', 'm1');
    queue.add('r2', 'm1', 2);
    scheduler.wake();
    await settle();
    expect(queue.hold).not.toBeNull(); // a claim statement is out

    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    expect(scheduler.mode).toBe('stopping');
    const claimsAtStop = queue.claims.length;
    queue.hold!.release(queue.pending.get(regionModelKey('r2', 'm1'))!.splice(0, 2));
    await settle();
    // The one ahead in r1 and the two that landed after stop are released, not called.
    expect(queue.releases.map((r) => r.reason)).toEqual(['released', 'released', 'released']);
    expect(calls.runningIn('r2')).toBe(0);
    await jest.advanceTimersByTimeAsync(500);
    expect(queue.claims.length).toBe(claimsAtStop + 1); // just the held one, answered
    expect(stopped).toBe(false); // calls still running, within the grace period

    calls.finish();
    await settle();
    expect(stopped).toBe(true);
    await stopping;
    expect(scheduler.mode).toBe('released');
    expect(scheduler.heldCount).toBe(0);
    expect(calls.aborted).toEqual([]);
  });

  it('on stop: aborts the calls still running when the grace period is over', async () => {
    queue.add('r1', 'm1', 2);
    make({ shutdownGraceMs: 1_000 }).start();
    await settle();
    let stopped = false;
    void scheduler.stop().then(() => {
      stopped = true;
    });
    await jest.advanceTimersByTimeAsync(999);
    expect(stopped).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    expect(calls.aborted.map((a) => a.reason)).toEqual(['shutdown', 'shutdown']);
    expect(stopped).toBe(true);
    expect(scheduler.mode).toBe('released');
  });

  it('hands the heartbeat the leases it holds, and stops a cell whose lease is lost', async () => {
    queue.add('r1', 'm1', 5);
    make().start();
    await settle();
    const leases = scheduler.leases();
    expect(leases.length).toBe(5);
    expect(scheduler.holds(leases[0]!.id, leases[0]!.token)).toBe(true);
    expect(scheduler.holds(leases[0]!.id, 'other')).toBe(false);
    const calling = [...calls.running.keys()][0]!;
    const ready = leases.find((l) => !calls.running.has(l.id))!.id;
    scheduler.drop(ready, 'lease_lost');
    scheduler.drop(calling, 'lease_lost');
    await settle();
    expect(calls.aborted).toEqual([{ id: calling, reason: 'lease_lost' }]);
    expect(queue.releases).toEqual([]); // a lost lease is not ours to release
    expect(scheduler.heldCount).toBe(3);
  });
});

describe('keySlots', () => {
  it('starts calls up to the limit, keeps a quarter of it claimed ahead, and hands back what a lowered limit no longer covers', () => {
    expect(keySlots(8, 0, 0, Infinity, false)).toEqual({ callable: 8, ahead: 2, excessReady: 0 });
    expect(keySlots(8, 8, 2, Infinity, false)).toEqual({ callable: 0, ahead: 2, excessReady: 0 });
    // Lowered from 8 to 2 with 8 calling and 2 ahead: no call starts, the calls go on, one cell ahead is kept.
    expect(keySlots(2, 8, 2, Infinity, false)).toEqual({ callable: 0, ahead: 1, excessReady: 1 });
    expect(keySlots(0, 3, 2, Infinity, false)).toEqual({ callable: 0, ahead: 0, excessReady: 2 });
    expect(keySlots(8, 2, 0, 3, false)).toEqual({ callable: 3, ahead: 2, excessReady: 0 }); // the region's shared slots
    expect(keySlots(8, 0, 0, Infinity, true)).toMatchObject({ ahead: 0 });
  });

  it('property: never lets calls exceed the limit or the free slots, and never hands back more than it holds ahead', () => {
    fc.assert(
      fc.property(fc.nat(64), fc.nat(64), fc.nat(32), fc.nat(64), fc.boolean(), (limit, calling, ready, free, open) => {
        const s = keySlots(limit, calling, ready, free, open);
        expect(s.callable).toBeGreaterThanOrEqual(0);
        expect(calling + s.callable).toBeLessThanOrEqual(Math.max(calling, limit));
        expect(s.callable).toBeLessThanOrEqual(free);
        expect(s.excessReady).toBeLessThanOrEqual(ready);
        expect(ready - s.excessReady).toBeLessThanOrEqual(Math.max(0, limit - calling) + s.ahead);
      }),
    );
  });
});

describe('ClaimScheduler: concurrency overrides', () => {
  let queue: FakeQueue;
  let calls: FakeCalls;
  let controls: FakeControls;
  let scheduler: ClaimScheduler<string>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'], now: 1_000_000 });
    queue = new FakeQueue();
    calls = new FakeCalls();
    controls = new FakeControls();
    scheduler = new ClaimScheduler(options(), queue, calls, () => undefined, controls);
  });

  afterEach(async () => {
    calls.finish();
    const stopped = scheduler.stop();
    await jest.advanceTimersByTimeAsync(2_000);
    await stopped;
    jest.useRealTimers();
  });

  const running = (region: string, model: string) =>
    [...calls.running.values()].filter((r) => r.call.cell.region === region && r.call.cell.modelId === model).length;

  it('raises a key above its region concurrency at run time, in its own slots, and claims it as overridden', async () => {
    queue.add('r1', 'm1', 100);
    queue.add('r1', 'm2', 100);
    scheduler.start();
    await settle();
    expect(running('r1', 'm1') + running('r1', 'm2')).toBe(4); // the region's 4 slots, shared
    expect(queue.claims.every((c) => c.overridden === false)).toBe(true);

    controls.set('r1', 'm1', 10);
    await scheduler.refreshControls();
    await settle();
    expect(scheduler.limitOf(regionModelKey('r1', 'm1'))).toBe(10);
    // r1/m1 calls 10 at once, out of the region's shared slots; r1/m2 keeps the region's 4 to itself.
    expect(running('r1', 'm1')).toBe(10);
    expect(running('r1', 'm2')).toBe(4);
    expect(queue.claimsOf('r1', 'm1').at(-1)).toMatchObject({ overridden: true });
    expect(queue.claimsOf('r1', 'm2').at(-1)).toMatchObject({ overridden: false });
    for (let i = 0; i < 20; i++) {
      calls.finish(1);
      await settle();
      await jest.advanceTimersByTimeAsync(50);
      expect(running('r1', 'm1')).toBeLessThanOrEqual(10);
      expect(running('r1', 'm2')).toBeLessThanOrEqual(4);
    }
  });

  it('lowers a key: calls in flight finish (none aborted), cells claimed ahead go back, none starts until under the limit', async () => {
    controls.set('r1', 'm1', 10);
    queue.add('r1', 'm1', 100);
    scheduler.start();
    await settle();
    expect(running('r1', 'm1')).toBe(10);
    const heldAhead = scheduler.heldCount - 10;
    expect(heldAhead).toBe(3); // a quarter of 10, claimed ahead

    controls.set('r1', 'm1', 3);
    await scheduler.refreshControls();
    await settle();
    expect(calls.aborted).toEqual([]);
    expect(running('r1', 'm1')).toBe(10);
    // One cell ahead kept (a quarter of 3), two handed back.
    expect(queue.releases.map((r) => r.reason)).toEqual(['released', 'released']);
    const startedAtChange = calls.started.length;

    // Calls end one by one: nothing starts while 3 or more are in flight.
    for (let open = 9; open >= 3; open--) {
      calls.finish(1);
      await settle();
      await jest.advanceTimersByTimeAsync(150);
      expect(running('r1', 'm1')).toBe(open);
      expect(calls.started.length).toBe(startedAtChange);
    }
    // Under the limit: calls start again, never more than 3 at once.
    for (let i = 0; i < 20; i++) {
      calls.finish(1);
      await settle();
      await jest.advanceTimersByTimeAsync(150);
      expect(running('r1', 'm1')).toBe(3);
    }
    expect(calls.started.length).toBeGreaterThan(startedAtChange);
    expect(calls.aborted).toEqual([]);
  });

  it('removing the override restores the region concurrency; a change is picked up by the poll when no notification came', async () => {
    controls.set('r1', 'm1', 2);
    queue.add('r1', 'm1', 100);
    scheduler.start();
    await settle();
    expect(running('r1', 'm1')).toBe(2);

    controls.set('r1', 'm1', null);
    const reads = controls.reads;
    await jest.advanceTimersByTimeAsync(1_300); // controlsPollMs 1000, jitter none
    expect(controls.reads).toBe(reads + 1);
    await settle();
    expect(scheduler.limitOf(regionModelKey('r1', 'm1'))).toBe(4);
    expect(running('r1', 'm1')).toBe(4);
    expect(queue.claimsOf('r1', 'm1').at(-1)).toMatchObject({ overridden: false });
  });

  it('an override of 0 claims and calls nothing of the key, and hands back what it claimed ahead', async () => {
    queue.add('r1', 'm1', 10);
    scheduler.start();
    await settle();
    expect(running('r1', 'm1')).toBe(4);
    controls.set('r1', 'm1', 0);
    await scheduler.refreshControls();
    calls.finish();
    await settle();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(running('r1', 'm1')).toBe(0);
    expect(scheduler.heldCount).toBe(0);
    expect(queue.claimsOf('r1', 'm1').filter((c) => c.overridden && c.limit > 0)).toEqual([]);
  });
});
