import { describe, expect, it } from '@jest/globals';
import { FaultInjector } from './fault-injector.js';
import { DEFAULT_FAULTS, mergeFaults, parseFaultUpdate } from './fault-settings.js';
import type { FaultSettings } from './simulator.types.js';

const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
const settings = (update: Partial<FaultSettings>) => mergeFaults(DEFAULT_FAULTS, update);
const kinds = (seed: number, s: FaultSettings, n: number) => {
  const injector = new FaultInjector(seed, 0);
  return Array.from({ length: n }, () => injector.decide(s, 'us-east', 'llama3.2-1b', 10).fault);
};

describe(FaultInjector.name, () => {
  it('draws the same faults for the same seed and order, and different ones for another seed', () => {
    const s = settings({ errorRate: 0.2, rateLimitRate: 0.2, hangRate: 0.1, badRequestRate: 0.1 });
    expect(kinds(7, s, 200)).toEqual(kinds(7, s, 200));
    expect(kinds(7, s, 200)).not.toEqual(kinds(8, s, 200));
  });

  it('hits each rate roughly and picks 500, 502, 503 and 529 for errors', () => {
    const faults = kinds(3, settings({ errorRate: 0.3, rateLimitRate: 0.2, hangRate: 0.1 }), 5000);
    const share = (kind: string) => faults.filter((f) => f.kind === kind).length / faults.length;
    expect(share('error')).toBeCloseTo(0.3, 1);
    expect(share('rate-limit')).toBeCloseTo(0.2, 1);
    expect(share('hang')).toBeCloseTo(0.1, 1);
    expect(share('none')).toBeCloseTo(0.4, 1);
    const statuses = new Set(faults.flatMap((f) => (f.kind === 'error' ? [f.status] : [])));
    expect([...statuses].sort()).toEqual([500, 502, 503, 529]);
  });

  it('answers with an outage only inside its window and for its region and model', () => {
    const injector = new FaultInjector(1, 1000);
    const s = settings({ outages: [{ region: 'eu-west', model: 'mistral-7b', startMs: 100, endMs: 200 }] });
    expect(injector.decide(s, 'eu-west', 'mistral-7b', 1150).fault.kind).toBe('outage');
    expect(injector.decide(s, 'eu-west', 'mistral-7b', 1200).fault.kind).toBe('none');
    expect(injector.decide(s, 'eu-west', 'mistral-7b', 1099).fault.kind).toBe('none');
    expect(injector.decide(s, 'us-east', 'mistral-7b', 1150).fault.kind).toBe('none');
    expect(injector.decide(s, 'eu-west', 'llama3.2-1b', 1150).fault.kind).toBe('none');
  });
});

describe(parseFaultUpdate.name, () => {
  it('accepts a partial update and resolves model aliases', () => {
    expect(parseFaultUpdate({ errorRate: 0.5, outages: [{ model: 'Qwen/Qwen2.5-1.5B-Instruct', startMs: 0, endMs: 5 }] }, REGIONS)).toEqual(
      { errorRate: 0.5, outages: [{ model: 'qwen2.5-1.5b', startMs: 0, endMs: 5 }] },
    );
  });

  it('names every bad field', () => {
    expect(() =>
      parseFaultUpdate(
        {
          errorRate: 2,
          hangRate: 'x',
          latencyMs: { min: 5, max: 1 },
          nope: 1,
          outages: [{ region: 'mars', startMs: 10, endMs: 5 }],
        },
        REGIONS,
      ),
    ).toThrow(/errorRate: .*hangRate: .*latencyMs\.max: max must not be below min/s);
    expect(() => parseFaultUpdate({ outages: [{ region: 'mars', startMs: 0, endMs: 5 }] }, REGIONS)).toThrow(
      /outages\[0\]\.region: unknown region "mars"/,
    );
    expect(() => parseFaultUpdate({ nope: 1 }, REGIONS)).toThrow(/nope/);
    expect(() => parseFaultUpdate([], REGIONS)).toThrow(RangeError);
  });
});
