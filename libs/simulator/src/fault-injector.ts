import { mulberry32, type RandomSource } from './seeded-random.js';
import type { FaultSettings } from './simulator.types.js';

/** What the simulator does with one chat-completion request. */
export type Fault =
  | { kind: 'none' }
  | { kind: 'outage' }
  | { kind: 'error'; status: 500 | 502 | 503 | 529 }
  | { kind: 'rate-limit' }
  | { kind: 'hang' }
  | { kind: 'bad-request' };

/** A fault and the draw that places a fixed latency within its range. */
export interface FaultDecision {
  fault: Fault;
  /** Uniform in [0, 1), used for `latencyMs: {min, max}`. */
  latencyUnit: number;
}

const ERROR_STATUSES: readonly { status: 500 | 502 | 503 | 529; upTo: number }[] = [
  { status: 500, upTo: 0.55 },
  { status: 502, upTo: 0.7 },
  { status: 503, upTo: 0.85 },
  { status: 529, upTo: 1 },
];

/**
 * Chooses faults from a seeded generator: every request draws the same three numbers whatever happens,
 * so the same seed and the same request order give the same faults. Rates take consecutive bands of
 * [0, 1) in the order error, rate limit, hang, bad request; when they add up to more than 1 the later ones shrink.
 */
export class FaultInjector {
  private readonly random: RandomSource;

  constructor(
    seed: number,
    private readonly startedAt: number,
  ) {
    this.random = mulberry32(seed);
  }

  /** The fault for one request to `region` / `model` (canonical id) arriving at `now` (epoch ms). */
  decide(settings: FaultSettings, region: string, model: string, now: number): FaultDecision {
    const roll = this.random();
    const statusRoll = this.random();
    const latencyUnit = this.random();
    const elapsed = now - this.startedAt;
    const down = settings.outages.some(
      (o) =>
        (o.region === undefined || o.region === region) &&
        (o.model === undefined || o.model === model) &&
        elapsed >= o.startMs &&
        elapsed < o.endMs,
    );
    if (down) return { fault: { kind: 'outage' }, latencyUnit };
    let edge = 0;
    const bands: readonly [number, () => Fault][] = [
      [settings.errorRate, () => ({ kind: 'error', status: ERROR_STATUSES.find((e) => statusRoll < e.upTo)?.status ?? 500 })],
      [settings.rateLimitRate, () => ({ kind: 'rate-limit' })],
      [settings.hangRate, () => ({ kind: 'hang' })],
      [settings.badRequestRate, () => ({ kind: 'bad-request' })],
    ];
    for (const [rate, fault] of bands) {
      edge += rate;
      if (rate > 0 && roll < edge) return { fault: fault(), latencyUnit };
    }
    return { fault: { kind: 'none' }, latencyUnit };
  }
}
