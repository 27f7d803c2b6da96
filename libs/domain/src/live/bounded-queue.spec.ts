import { describe, expect, it } from '@jest/globals';
import { BoundedQueue } from './bounded-queue.js';

describe(BoundedQueue.name, () => {
  it('rejects a capacity that is not a positive integer', () => {
    for (const c of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new BoundedQueue(c)).toThrow(RangeError);
  });

  it('is first in, first out', () => {
    const q = new BoundedQueue<number>(3);
    q.push(1);
    q.push(2);
    expect(q.shift()).toBe(1);
    q.push(3);
    q.push(4);
    expect(q.toArray()).toEqual([2, 3, 4]);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 4, undefined]);
    expect(q.size).toBe(0);
  });

  it('never holds more than its capacity, dropping the oldest items', () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 1; i <= 7; i++) q.push(i);
    expect(q.size).toBe(3);
    expect(q.toArray()).toEqual([5, 6, 7]);
    expect(q.takeDropped()).toBe(4);
  });

  it('counts drops since the last take only', () => {
    const q = new BoundedQueue<string>(2);
    q.push('a');
    q.push('b');
    expect(q.takeDropped()).toBe(0);
    q.push('c');
    expect(q.takeDropped()).toBe(1);
    expect(q.takeDropped()).toBe(0);
    q.shift();
    q.push('d');
    expect(q.takeDropped()).toBe(0);
    q.push('e');
    expect(q.takeDropped()).toBe(1);
    expect(q.toArray()).toEqual(['d', 'e']);
  });

  it('keeps order across many wrap-arounds with interleaved pushes and shifts', () => {
    const q = new BoundedQueue<number>(4);
    const model: number[] = [];
    let dropped = 0;
    let next = 0;
    for (let round = 0; round < 200; round++) {
      const pushes = (round * 7) % 5;
      for (let i = 0; i < pushes; i++) {
        q.push(next);
        model.push(next++);
        if (model.length > 4) {
          model.shift();
          dropped++;
        }
      }
      if (round % 3 === 0) expect(q.shift()).toBe(model.shift());
      expect(q.toArray()).toEqual(model);
      expect(q.size).toBe(model.length);
    }
    expect(q.takeDropped()).toBe(dropped);
  });

  it('works with a capacity of one', () => {
    const q = new BoundedQueue<number>(1);
    q.push(1);
    q.push(2);
    expect(q.toArray()).toEqual([2]);
    expect(q.takeDropped()).toBe(1);
    expect(q.shift()).toBe(2);
    expect(q.shift()).toBeUndefined();
  });

  it('returns a copy from toArray and holds falsy items faithfully', () => {
    const q = new BoundedQueue<number | null>(3);
    q.push(0);
    q.push(null);
    const snapshot = q.toArray();
    snapshot.push(9);
    expect(q.toArray()).toEqual([0, null]);
    expect(q.shift()).toBe(0);
    expect(q.shift()).toBeNull();
  });
});
