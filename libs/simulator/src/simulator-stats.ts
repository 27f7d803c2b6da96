import { createHash } from 'node:crypto';
import type { SimulatorCellStats, SimulatorStats } from './simulator.types.js';

/** Key of the cell a request belongs to, for {@link StatsRecorder}. */
export interface CellKey {
  region: string;
  model: string;
  system: string;
  user: string;
}

/** Counts requests, statuses, per-cell calls and requests in flight. */
export class StatsRecorder {
  private requests = 0;
  private byStatus = new Map<string, number>();
  private cells = new Map<string, SimulatorCellStats>();
  private inFlight = 0;
  private maxInFlight = 0;

  /** A request to a `/<region>/v1` endpoint arrived. */
  request(): void {
    this.requests += 1;
  }

  /** A `/<region>/v1` request ended with `status` (a number, or `hang` for one that was never answered). */
  status(status: number | 'hang'): void {
    const key = String(status);
    this.byStatus.set(key, (this.byStatus.get(key) ?? 0) + 1);
  }

  /** A valid chat completion for `key` reached the fault stage; returns its cell so the outcome can be added. */
  call(key: CellKey): SimulatorCellStats {
    const systemHash = key.system === '' ? '' : createHash('sha256').update(key.system, 'utf8').digest('hex');
    const id = JSON.stringify([key.region, key.model, systemHash, key.user]);
    let cell = this.cells.get(id);
    if (!cell) {
      cell = { region: key.region, model: key.model, systemHash, user: key.user, calls: 0, answered: 0 };
      this.cells.set(id, cell);
    }
    cell.calls += 1;
    return cell;
  }

  /** A chat completion started being handled. */
  enter(): void {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  /** A chat completion was answered or its client went away. */
  leave(): void {
    this.inFlight -= 1;
  }

  /** A copy of every counter. */
  snapshot(): SimulatorStats {
    const cells = [...this.cells.values()].map((c) => ({ ...c }));
    return {
      requests: this.requests,
      byStatus: Object.fromEntries(this.byStatus),
      cells,
      extraCalls: cells.reduce((sum, c) => sum + c.calls - 1, 0),
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
    };
  }

  /** Zeroes the counters; requests in flight stay counted, so `inFlight` cannot go negative. */
  reset(): void {
    this.requests = 0;
    this.byStatus = new Map();
    this.cells = new Map();
    this.maxInFlight = this.inFlight;
  }
}
