import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { HeartbeatResult } from '@beacon/db';
import type { EngineEvent } from './engine.events.js';
import { LeaseKeeper, type HeartbeatSink, type LeaseHolder } from './lease-keeper.js';

class FakeHolder implements LeaseHolder {
  leased = new Map<string, string>([
    ['1', 'a'],
    ['2', 'b'],
  ]);
  dropped: [string, string][] = [];
  fences: string[] = [];
  leases() {
    return [...this.leased].map(([id, token]) => ({ id, token }));
  }
  holds(id: string, token: string) {
    return this.leased.get(id) === token;
  }
  drop(id: string, reason: 'lease_lost' | 'cancelled') {
    this.dropped.push([id, reason]);
    this.leased.delete(id);
  }
  fence() {
    this.fences.push('fence');
  }
  unfence() {
    this.fences.push('unfence');
  }
}

describe('LeaseKeeper', () => {
  let answer: () => Promise<HeartbeatResult>;
  const sink: HeartbeatSink = { heartbeat: () => answer() };
  let holder: FakeHolder;
  let events: EngineEvent[];
  let keeper: LeaseKeeper;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    holder = new FakeHolder();
    events = [];
    keeper = new LeaseKeeper({ runnerId: 'r', leaseMs: 300, heartbeatMs: 100 }, sink, holder, (e) => events.push(e));
    keeper.start();
  });

  afterEach(() => {
    keeper.stop();
    jest.useRealTimers();
  });

  it('stops the cells whose lease is gone and those whose job was cancelled', async () => {
    answer = () => Promise.resolve({ held: new Set(['1']), cancelled: new Set(['1']) });
    await jest.advanceTimersByTimeAsync(100);
    expect(holder.dropped).toEqual([
      ['2', 'lease_lost'],
      ['1', 'cancelled'],
    ]);
    expect(events).toContainEqual({ type: 'lease_lost', cellIds: ['2'], reason: 'lease no longer held' });
  });

  it('self-fences once heartbeats have failed for a lease less one interval, and unfences on the next good one', async () => {
    answer = () => new Promise(() => undefined); // the database hangs: each heartbeat times out after one interval
    await jest.advanceTimersByTimeAsync(250);
    expect(holder.fences).toEqual([]); // 200 ms since the last good heartbeat: not yet
    await jest.advanceTimersByTimeAsync(200);
    expect(keeper.fenced).toBe(true);
    expect(holder.fences).toEqual(['fence']);
    expect(holder.dropped).toEqual([
      ['1', 'lease_lost'],
      ['2', 'lease_lost'],
    ]);
    expect(events.filter((e) => e.type === 'error').every((e) => e.type === 'error' && e.where === 'heartbeat')).toBe(true);

    answer = () => Promise.resolve({ held: new Set<string>(), cancelled: new Set<string>() });
    await jest.advanceTimersByTimeAsync(300);
    expect(keeper.fenced).toBe(false);
    expect(holder.fences).toEqual(['fence', 'unfence']);
  });
});
