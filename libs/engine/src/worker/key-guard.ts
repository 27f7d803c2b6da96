import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import type { RegionModelKey } from '@beacon/domain';

/**
 * Protection for one (region, model): a cockatiel consecutive-failure breaker plus our own gate, because an open
 * breaker must keep its cells in the queue (not claimed, attempts not spent) until the half-open probe is due.
 */
export class KeyGuard {
  readonly breaker: CircuitBreakerPolicy;
  private openedAt: number | null = null;
  inFlight = 0;

  constructor(
    readonly key: RegionModelKey,
    failures: number,
    private readonly halfOpenMs: number,
    onChange: (state: 'open' | 'half_open' | 'closed') => void,
  ) {
    this.breaker = circuitBreaker(handleAll, { halfOpenAfter: halfOpenMs, breaker: new ConsecutiveBreaker(failures) });
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
      onChange('open');
    });
    this.breaker.onHalfOpen(() => onChange('half_open'));
    this.breaker.onReset(() => {
      this.openedAt = null;
      onChange('closed');
    });
  }

  /** How many more cells may be claimed now, given the key's concurrency limit. */
  claimable(limit: number): number {
    return Math.min(Math.max(0, limit - this.inFlight), this.breakerRoom);
  }

  /** Calls the breaker lets start now, whatever the limit: any while closed, else one probe when it is due. */
  get breakerRoom(): number {
    if (this.breaker.state === CircuitState.Closed) return Infinity;
    const probeDue = this.openedAt !== null && Date.now() - this.openedAt >= this.halfOpenMs;
    // Open and not yet due, or a probe already running: claim nothing; otherwise one probe.
    return (this.breaker.state === CircuitState.Open && !probeDue) || this.inFlight > 0 ? 0 : 1;
  }

  /** The breaker state by name. */
  get stateName(): 'closed' | 'half_open' | 'open' {
    const s = this.breaker.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half_open' : 'open';
  }

  /** True when the breaker is open (for metrics and deferral). */
  get open(): boolean {
    return this.breaker.state !== CircuitState.Closed;
  }
}

export { BrokenCircuitError };
